import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { simulate } from '../../src/experiment/simulate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { makeArrivals, type ArrivalSource } from '../../src/workload/arrivals.ts';
import { loadTrace, type Trace } from '../../src/workload/trace.ts';
import { userError } from '../helpers/errors.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CONV = join(REPO, 'scenarios/data/azure-llm-2023/conv.csv');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-trace-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const f = join(tmp, name);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, text);
  return f;
}

function replay(trace: Trace, time_scale = 1, loop = false): ArrivalSource {
  return makeArrivals({ kind: 'trace', file: 'x.csv', time_scale, loop }, stream(1, 'arrivals'), trace);
}

/** Arrivals (time, prompt, output) until Infinity or `max`. */
function drain(src: ArrivalSource, max = 1_000_000): { t: number; p: number; g: number }[] {
  const out: { t: number; p: number; g: number }[] = [];
  for (let i = 0; i < max; i++) {
    const t = src.next();
    if (t === Infinity) return out;
    out.push({ t, p: src.promptTokens, g: src.outputTokens });
  }
  return out;
}

describe('the shipped Azure conversation trace', () => {
  const trace = loadTrace(CONV);
  // An independent reading of the same file.
  const rows = parse(readFileSync(CONV, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

  it('has 19,366 requests (every data row of the file)', () => {
    // NB: scenarios/data/azure-llm-2023/README.md says 19,365; the file holds 19,366 data rows
    // (19,367 lines with the header; `wc -l` shows one less because the last line has no newline).
    expect(rows.length).toBe(19_366);
    expect(trace.length).toBe(rows.length);
    expect(trace.t_ms.length).toBe(trace.length);
  });

  it('times start at 0 and never decrease', () => {
    expect(trace.t_ms[0]).toBe(0);
    let bad = -1;
    for (let i = 1; i < trace.length && bad < 0; i++) if (trace.t_ms[i] < trace.t_ms[i - 1]) bad = i;
    expect(bad, `t_ms decreases at index ${bad}`).toBe(-1);
  });

  it('keeps sub-millisecond timestamps and the span of the file', () => {
    // 18:15:46.6805900 -> 18:15:50.9951690
    // (Offsets come from epoch milliseconds, so they are exact to about 0.25 us.)
    expect(Math.abs(trace.t_ms[1] - 4314.579)).toBeLessThan(1e-3);
    const stamp = (s: string) => Date.parse(`${s.slice(0, 23).replace(' ', 'T')}Z`);
    const span = stamp(rows[rows.length - 1].TIMESTAMP) - stamp(rows[0].TIMESTAMP);
    expect(Math.abs(trace.t_ms[trace.length - 1] - span)).toBeLessThan(1);
    expect(trace.t_ms[trace.length - 1] / 3_600_000).toBeGreaterThan(0.95); // about an hour
  });

  it('parses the token columns (first, last and totals)', () => {
    expect([trace.promptTokens[0], trace.outputTokens[0]]).toEqual([374, 44]);
    expect([trace.promptTokens[trace.length - 1], trace.outputTokens[trace.length - 1]]).toEqual([197, 183]);
    const sum = (a: Int32Array) => a.reduce((x, y) => x + y, 0);
    expect(sum(trace.promptTokens)).toBe(rows.reduce((a, r) => a + Number(r.ContextTokens), 0));
    expect(sum(trace.outputTokens)).toBe(rows.reduce((a, r) => a + Number(r.GeneratedTokens), 0));
  });

  it('time_scale 0.5 replays every request at half its offset (halves the span)', () => {
    const full = drain(replay(trace, 1));
    const half = drain(replay(trace, 0.5));
    expect(full).toHaveLength(trace.length);
    expect(half).toHaveLength(trace.length);
    expect(half[half.length - 1].t).toBeCloseTo(full[full.length - 1].t / 2, 6);
    for (let i = 0; i < full.length; i += 97) {
      expect(half[i].t).toBeCloseTo(full[i].t * 0.5, 6);
      expect([half[i].p, half[i].g]).toEqual([full[i].p, full[i].g]);
    }
    // Within one pass the mean rate doubles; over a longer horizon (no loop) it is n / horizon.
    expect(replay(trace, 0.5).meanRatePerS(60_000)).toBeCloseTo(2 * replay(trace, 1).meanRatePerS(60_000), 9);
    expect(replay(trace, 0.5).meanRatePerS(10_000_000)).toBeCloseTo((trace.length / 10_000_000) * 1000, 9);
  });
});

describe('trace replay', () => {
  const small = () =>
    loadTrace(
      write(
        'small.csv',
        'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00.0000000,10,1\n2023-11-16 18:00:01.0000000,20,2\n2023-11-16 18:00:03.0000000,30,3\n',
      ),
    );

  it('without loop it ends after the last request', () => {
    const a = drain(replay(small()));
    expect(a.map((x) => x.t)).toEqual([0, 1000, 3000]);
    expect(a.map((x) => [x.p, x.g])).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
    ]);
  });

  it('loop repeats the trace, one mean gap after its end, with the same tokens', () => {
    const tr = small();
    // Span 3 s over 2 gaps: the cycle is 3 + 1.5 = 4.5 s.
    expect(tr.cycle_ms).toBe(4500);
    const a = drain(replay(tr, 1, true), 9);
    expect(a.map((x) => x.t)).toEqual([0, 1000, 3000, 4500, 5500, 7500, 9000, 10000, 12000]);
    expect(a.map((x) => x.p)).toEqual([10, 20, 30, 10, 20, 30, 10, 20, 30]);
    const scaled = drain(replay(tr, 2, true), 6);
    expect(scaled.map((x) => x.t)).toEqual([0, 2000, 6000, 9000, 11000, 15000]);
  });

  it('a looped trace whose requests share one timestamp still moves forward', () => {
    const tr = loadTrace(write('same.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n5,1,1\n5,2,2\n5,3,3\n'));
    const a = drain(replay(tr, 1, true), 9).map((x) => x.t);
    expect(a.slice(0, 3)).toEqual([0, 0, 0]);
    expect(a[3], 'the second pass must start later than the first').toBeGreaterThan(0);
    expect(a[6]).toBeGreaterThan(a[3]);
    expect(Number.isFinite(replay(tr, 1, true).meanRatePerS(60_000))).toBe(true);
  });

  it('columns are found by name, timestamps may be seconds, and unsorted rows are sorted with their tokens', () => {
    const tr = loadTrace(write('reordered.csv', 'GeneratedTokens,extra,TIMESTAMP,ContextTokens\n7,a,12.5,70\n5,b,10,50\n6,c,11.25,60\n'));
    expect(Array.from(tr.t_ms)).toEqual([0, 1250, 2500]);
    expect(Array.from(tr.promptTokens)).toEqual([50, 60, 70]);
    expect(Array.from(tr.outputTokens)).toEqual([5, 6, 7]);
  });
});

describe('malformed traces: a UserError naming the file and line', () => {
  const H = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';
  it.each<[string, string, RegExp]>([
    ['missing column', 'TIMESTAMP,ContextTokens\n1,2\n', /: line 1: expected columns TIMESTAMP,ContextTokens,GeneratedTokens, missing GeneratedTokens$/],
    ['bad timestamp', `${H}1,2,3\nyesterday,2,3\n`, /: line 3, column 1 \(TIMESTAMP\): expected a valid "YYYY-MM-DD HH:MM:SS.fff" \(UTC\) or seconds, got "yesterday"$/],
    ['impossible date format', `${H}1,2,3\n2,2,3\n2023/11/16 18:00:00,2,3\n`, /: line 4, column 1 \(TIMESTAMP\): expected .*got "2023\/11\/16 18:00:00"$/],
    ['negative prompt tokens', `${H}1,2,3\n2,-5,3\n`, /: line 3, column 2 \(ContextTokens\): expected an integer in \[0, 2147483647\], got "-5"$/],
    ['negative output tokens', `${H}1,2,-1\n`, /: line 2, column 3 \(GeneratedTokens\): expected an integer in \[0, 2147483647\], got "-1"$/],
    ['fractional tokens', `${H}1,2,1.5\n`, /: line 2, column 3 \(GeneratedTokens\): expected an integer in \[0, 2147483647\], got "1.5"$/],
    ['empty token cell', `${H}1,,3\n`, /: line 2, column 2 \(ContextTokens\): expected an integer in \[0, 2147483647\], got ""$/],
    ['header only', H, /: expected a header and at least one request row$/],
    ['ragged row', `${H}1,2,3\n4,5\n`, /: invalid CSV: /],
  ])('%s', (name, text, problem) => {
    const f = write(`bad-${name.replace(/\W+/g, '-')}.csv`, text);
    const msg = userError(() => loadTrace(f));
    expect(msg.startsWith(`${f}: `), msg).toBe(true);
    expect(msg).toMatch(problem);
  });

  it('a missing trace names the file', () => {
    const f = join(tmp, 'nope.csv');
    expect(userError(() => loadTrace(f))).toBe(`${f}: cannot read the trace (ENOENT)`);
  });
});

describe('a scenario with kind: trace', () => {
  const rowsCsv = (n: number) => {
    let s = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';
    for (let i = 0; i < n; i++) s += `2023-11-16 18:00:${String(i).padStart(2, '0')}.0000000,${100 + i},${i + 1}\n`;
    return s;
  };
  const scenarioYaml = (arrivals: string, duration_s = 100) => `name: trace-e2e
duration_s: ${duration_s}
workload:
  arrivals: ${arrivals}
topology:
  entry: api
  stations:
    api: { servers: 1, service_ms: { dist: constant, value: 100 } }
`;

  it('resolves the trace relative to the scenario file and runs end to end', () => {
    write('e2e/traces/fifty.csv', rowsCsv(50)); // one request per second, t = 0..49 s
    const file = write('e2e/scenario.yaml', scenarioYaml('{ kind: trace, file: traces/fifty.csv }'));
    expect(process.cwd()).not.toBe(join(tmp, 'e2e')); // so only scenario-relative resolution can find it
    const prep = prepare(loadScenario(file));
    expect(prep.trace?.length).toBe(50);
    const r = simulate(prep, 1);
    expect(r.complete).toBe(true);
    // One server, 100 ms constant service, 1 s gaps: nobody waits, every request completes.
    expect(r.counts).toEqual({ offered: 50, completed: 50, failed: 0, rejected: 0, timed_out: 0, in_flight_at_end: 0 });
    expect(r.e2e.summary().mean).toBe(100);
    expect(r.e2e.summary().max).toBe(100);
    expect(r.stations[0].stats.queueMax).toBe(0);
  });

  it('time_scale and loop apply in a run', () => {
    write('e2e/traces/fifty.csv', rowsCsv(50));
    const looped = write('e2e/looped.yaml', scenarioYaml('{ kind: trace, file: traces/fifty.csv, loop: true }', 120));
    // Cycle 49 s + 1 s: arrivals at 0..119 s -> 120 requests in 120 s, the last finishing at 119.1 s.
    expect(simulate(prepare(loadScenario(looped)), 1).counts.offered).toBe(120);
    const fast = write('e2e/fast.yaml', scenarioYaml('{ kind: trace, file: traces/fifty.csv, time_scale: 0.5 }', 30));
    // Offsets halve: t = 0, 0.5, ..., 24.5 s all fall inside 30 s, and no more (no loop).
    const r = simulate(prepare(loadScenario(fast)), 1);
    expect(r.counts.offered).toBe(50);
    expect(r.counts.completed).toBe(50);
  });

  it('a missing or broken trace is reported against the scenario file and field', () => {
    const missing = write('e2e/missing.yaml', scenarioYaml('{ kind: trace, file: traces/absent.csv }'));
    expect(userError(() => prepare(loadScenario(missing)))).toBe(
      `${missing}: workload.arrivals.file: traces/absent.csv: cannot read the trace (ENOENT)`,
    );
    write('e2e/traces/broken.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n1,2,3\n2,-4,3\n');
    const broken = write('e2e/broken.yaml', scenarioYaml('{ kind: trace, file: traces/broken.csv }'));
    expect(userError(() => prepare(loadScenario(broken)))).toBe(
      `${broken}: workload.arrivals.file: traces/broken.csv: line 3, column 2 (ContextTokens): expected an integer in [0, 2147483647], got "-4"`,
    );
  });

  it('the trace options are validated', () => {
    // A bad value is named at its line and column; a missing one at the mapping that lacks it.
    const at = (text: string, mark: string) => {
      const lines = text.split('\n');
      const line = lines.findIndex((l) => l.includes(mark));
      return `${line + 1}:${lines[line].indexOf(mark) + 1}`;
    };
    const badText = scenarioYaml('{ kind: trace, file: traces/fifty.csv, time_scale: 0 }');
    const bad = write('e2e/bad-scale.yaml', badText);
    expect(userError(() => loadScenario(bad))).toBe(`${bad}:${at(badText, '0 }')}: workload.arrivals.time_scale: expected a positive number, got 0`);
    const noFileText = scenarioYaml('{ kind: trace }');
    const noFile = write('e2e/no-file.yaml', noFileText);
    expect(userError(() => loadScenario(noFile))).toBe(`${noFile}:${at(noFileText, '{ kind')}: workload.arrivals.file: expected a file path, got nothing`);
  });
});
