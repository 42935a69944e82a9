import { describe, expect, it } from 'vitest';
import { gridPoints, indexOf, parseKnob, parseKnobs, setPath, splitTopLevel } from '../../src/experiment/grid.ts';
import { parseShard, inShard } from '../../src/experiment/shard.ts';
import { parseSlo } from '../../src/experiment/plan.ts';
import { userError } from '../helpers/errors.ts';

describe('--vary', () => {
  it('reads lists as YAML values, like --set', () => {
    const k = parseKnob('fleet.models.gpt-4.gpu=a100-80gb,h100-80gb');
    expect(k).toMatchObject({ path: 'fleet.models.gpt-4.gpu', kind: 'list', values: ['a100-80gb', 'h100-80gb'], numeric: false });
    expect(parseKnob('x=1,2.5,true').values).toEqual([1, 2.5, true]);
    expect(parseKnob('x=[1, 2],{a: 1, b: 2}').values).toEqual([[1, 2], { a: 1, b: 2 }]);
    expect(parseKnob('x=1,2').numeric).toBe(true);
    expect(splitTopLevel('a,"b,c",[1,2]')).toEqual(['a', '"b,c"', '[1,2]']);
  });

  it('expands ranges lo..hi:step, hi included when on the step, without binary noise', () => {
    expect(parseKnob('s=8..40:8').values).toEqual([8, 16, 24, 32, 40]);
    expect(parseKnob('s=1..4').values).toEqual([1, 2, 3, 4]);
    expect(parseKnob('s=1..10:4').values).toEqual([1, 5, 9]);
    expect(parseKnob('r=0.1..0.5:0.1').values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(parseKnob('r=3..3:1')).toMatchObject({ kind: 'range', values: [3] });
  });

  it.each([
    ['servers', '--vary servers: expected path=v1,v2,... or path=lo..hi:step'],
    ['=1,2', '--vary =1,2: expected path='],
    ['a..b=1', '--vary a..b=1: empty segment'],
    ['s=', '--vary s=: no values'],
    ['s=1,,2', '--vary s=1,,2: empty value'],
    ['s=8..4:1', '--vary s=8..4:1: expected lo <= hi'],
    ['s=1..8:0', '--vary s=1..8:0: expected a step > 0'],
    ['s=1..x', '--vary s=1..x: "1..x" is not a range of numbers'],
    ['s=1..1e9:1', '--vary s=1..1e9:1: expected at most 100000 values'],
    ['s=1,2,1', '--vary s=1,2,1: value 1 is listed twice'],
  ])('rejects %s with a one-line message naming the flag', (spec, start) => {
    const msg = userError(() => parseKnob(spec));
    expect(msg.startsWith(start), msg).toBe(true);
    expect(msg).not.toContain('\n');
  });

  it('rejects a path varied twice', () => {
    expect(userError(() => parseKnobs(['a=1,2', 'a=3']))).toContain('the path a is varied twice');
  });

  it('caps a sweep by its whole grid, a plan by its list knobs only (range knobs are bisected)', () => {
    // The README's plan example: 4,001 x 3,501 x 3 = 42,022,503 points, of which a plan searches 3 combinations.
    const readme = ['fleet.models.gpt-4.gpus=8000..40000:8', 'fleet.models.gpt-3.5-turbo.gpus=2000..16000:4', 'fleet.models.gpt-4.batching.max_num_seqs=64,128,256'];
    expect(userError(() => parseKnobs(readme))).toBe('--vary: the grid has 42022503 points; expected at most 1000000');
    expect(parseKnobs(readme, 'bisect').map((k) => k.values.length)).toEqual([4001, 3501, 3]);
    // A plan's range may pass a sweep's per-knob limit; list knobs still multiply.
    expect(parseKnobs(['g=8000..120000'], 'bisect')[0].values).toHaveLength(112_001);
    expect(userError(() => parseKnobs(['g=8000..120000']))).toContain('expected at most 100000 values, the range has 112001');
    const lists = ['a=' + Array.from({ length: 1001 }, (_, i) => i).join(','), 'b=' + Array.from({ length: 1000 }, (_, i) => i).join(',')];
    expect(userError(() => parseKnobs(lists, 'bisect'))).toBe('--vary: the list knobs make 1001000 combinations, each planned apart; expected at most 1000000');
  });

  it('orders the grid as a cartesian product, last knob fastest', () => {
    const knobs = parseKnobs(['a=1..2', 'b=x,y,z']);
    const pts = gridPoints(knobs);
    expect(pts.map((p) => p.values)).toEqual([[1, 'x'], [1, 'y'], [1, 'z'], [2, 'x'], [2, 'y'], [2, 'z']]);
    expect(pts.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(indexOf(knobs, [1, 2])).toBe(5);
    expect(gridPoints([]).map((p) => p.values)).toEqual([[]]);
  });

  it('sets paths through keys that contain dots, longest key first, creating missing objects', () => {
    const doc = { fleet: { models: { 'gpt-3.5-turbo': { gpus: 8 }, 'gpt-3': { gpus: 1 } } }, list: [{ a: 1 }] };
    setPath(doc, 'fleet.models.gpt-3.5-turbo.gpus', 64, '--vary');
    setPath(doc, 'fleet.models.gpt-3.5-turbo.batching.max_num_seqs', 128, '--vary');
    setPath(doc, 'list.0.a', 2, '--vary');
    expect(doc.fleet.models['gpt-3.5-turbo']).toEqual({ gpus: 64, batching: { max_num_seqs: 128 } });
    expect(doc.fleet.models['gpt-3'].gpus).toBe(1);
    expect(doc.list[0].a).toBe(2);
    expect(userError(() => setPath({ a: 3 }, 'a.b', 1, '--vary a.b=1'))).toBe('--vary a.b=1: a is 3, not an object or list');
  });
});

describe('--shard and --slo', () => {
  it('parses i/N and shares pairs by index mod N', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1', 'a/b', '-1/2', '0/0']) expect(userError(() => parseShard(bad))).toMatch(/^--shard .*: expected i\/N with 0 <= i < N/);
    const owners = Array.from({ length: 10 }, (_, j) => [0, 1, 2].filter((s) => inShard({ index: s, count: 3 }, j)));
    expect(owners.every((o) => o.length === 1)).toBe(true);
  });

  it('parses metric<=bound and rejects the rest', () => {
    expect(parseSlo('by_model.gpt-3.5-turbo.latency_ms.ttft.p99<=2000')).toEqual({ text: 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99<=2000', path: 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99', op: '<=', bound: 2000 });
    expect(parseSlo('requests.throughput_per_s >= 1e3')).toMatchObject({ op: '>=', bound: 1000 });
    expect(userError(() => parseSlo('latency_ms.e2e.p99'))).toMatch(/^--slo latency_ms.e2e.p99: expected metric<=value/);
    expect(userError(() => parseSlo('latency_ms.e2e.p99<=fast'))).toMatch(/expected a decimal number after <=, got "fast"/);
  });
});
