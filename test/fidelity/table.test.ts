import { describe, expect, it } from 'vitest';
import { parseCorpus, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import type { Prediction } from '../../src/fidelity/predict.ts';
import { formatTable, summarize } from '../../src/fidelity/table.ts';
import { gateFailures } from '../../src/fidelity/cli-fidelity.ts';
import { NEAR_CAPACITY_LOAD } from '../../src/perf/model-error.ts';
import { baseCells, csvText } from './helpers.ts';

// four synthetic rows with hand-picked predictions: errors +10%, -25%, +50%, -20%
const specs: [Partial<Record<CorpusColumn, string>>, number][] = [
  [{ id: 'synthetic-a', split: 'validation', kind: 'decode', value: '100', gpu: 'a100-80gb', stack: 'vllm' }, 110],
  [{ id: 'synthetic-b', split: 'calibration', kind: 'decode', value: '200', gpu: 'h100-80gb', stack: 'vllm' }, 150],
  [{ id: 'synthetic-c', split: 'validation', kind: 'serving_ttft', batch: '4', value: '40', gpu: 'a100-80gb', stack: 'sglang', dtype: 'bf16' }, 60],
  [{ id: 'synthetic-d', split: 'validation', kind: 'throughput', unit: 'output_tok_s', value: '1000', gpu: 'h100-80gb', stack: 'trtllm', dtype: 'fp8' }, 800],
  [{ id: 'synthetic-e', split: 'validation', model: 'synthetic-model-1t' }, NaN],
  [{ id: 'synthetic-f', split: 'calibration', model: 'synthetic-model-1t' }, NaN],
];
const rows = parseCorpus(csvText(specs.map(([c]) => baseCells(c))), 'synthetic.csv');
const predictions: Prediction[] = specs.map(([c, v]) => (Number.isNaN(v)
  ? { id: c.id!, status: 'not_evaluated', reason: 'unknown model synthetic-model-1t' }
  : { id: c.id!, status: 'predicted', value: v, steady: c.id !== 'synthetic-c', load: NaN, notes: [] }));

describe('summarize', () => {
  it('gives signed errors per row and MAPE and bias per kind, GPU, stack, dtype and overall', () => {
    const t = summarize(rows, predictions, 'all');
    expect(t.rows.map((r) => [r.id, r.error_pct])).toEqual([['synthetic-a', 10], ['synthetic-b', -25], ['synthetic-c', 50], ['synthetic-d', -20]]);
    // within 25%: +10, -25 (the bound itself) and -20, not +50
    expect(t.overall).toEqual({ n: 4, mape_pct: (10 + 25 + 50 + 20) / 4, bias_pct: (10 - 25 + 50 - 20) / 4, within_bound_pct: 75 });
    expect(t.by_kind).toEqual({
      decode: { n: 2, mape_pct: 17.5, bias_pct: -7.5, within_bound_pct: 100 },
      throughput: { n: 1, mape_pct: 20, bias_pct: -20, within_bound_pct: 100 },
      serving: { n: 1, mape_pct: 50, bias_pct: 50, within_bound_pct: 0 },
    });
    expect(t.by_gpu).toEqual({ 'a100-80gb': { n: 2, mape_pct: 30, bias_pct: 30, within_bound_pct: 50 }, 'h100-80gb': { n: 2, mape_pct: 22.5, bias_pct: -22.5, within_bound_pct: 100 } });
    expect(Object.keys(t.by_stack)).toEqual(['sglang', 'trtllm', 'vllm']);
    expect(t.by_dtype.fp16).toEqual({ n: 2, mape_pct: 17.5, bias_pct: -7.5, within_bound_pct: 100 });
    expect(t.not_evaluated).toEqual([{ reason: 'unknown model synthetic-model-1t', count: 2, ids: ['synthetic-e', 'synthetic-f'] }]);
    expect([t.rows_in_corpus, t.rows_in_split, t.evaluated, t.unsteady]).toEqual([6, 6, 4, 1]);
  });

  it('groups by corpus file, printed only when the rows come from more than one, by name unless two share it', () => {
    const one = summarize(rows, predictions, 'all');
    expect(one.by_file).toEqual({ 'synthetic.csv': { n: 4, mape_pct: 26.25, bias_pct: 3.75, within_bound_pct: 75 } });
    expect(formatTable(one)).not.toMatch(/^file /m);
    const relabel = (file: string, ids: string[]) => rows.filter((r) => ids.includes(r.id)).map((r) => ({ ...r, file }));
    const three = [...relabel('a/x.csv', ['synthetic-a', 'synthetic-b']), ...relabel('a/y.csv', ['synthetic-c']), ...relabel('b/y.csv', ['synthetic-d'])];
    const t = summarize(three, predictions.filter((p) => three.some((r) => r.id === p.id)), 'all');
    expect(t.by_file).toEqual({
      'a/y.csv': { n: 1, mape_pct: 50, bias_pct: 50, within_bound_pct: 0 },
      'b/y.csv': { n: 1, mape_pct: 20, bias_pct: -20, within_bound_pct: 100 },
      'x.csv': { n: 2, mape_pct: 17.5, bias_pct: -7.5, within_bound_pct: 100 },
    });
    expect(formatTable(t)).toMatch(/^file x\.csv\s+2\s+17\.5%\s+-7\.5%\s+100\.0%$/m);
  });

  it('filters a split', () => {
    const v = summarize(rows, predictions, 'validation');
    expect(v.rows.map((r) => r.id)).toEqual(['synthetic-a', 'synthetic-c', 'synthetic-d']);
    expect(v.overall.mape_pct).toBeCloseTo((10 + 50 + 20) / 3, 12);
    expect(v.not_evaluated[0].count).toBe(1);
    const c = summarize(rows, predictions, 'calibration');
    expect(c.overall).toEqual({ n: 1, mape_pct: 25, bias_pct: -25, within_bound_pct: 100 });
  });

  it('has no MAPE for an empty selection (null in JSON, - in text)', () => {
    const t = summarize([], [], 'all');
    expect(JSON.parse(JSON.stringify(t)).overall).toEqual({ n: 0, mape_pct: null, bias_pct: null, within_bound_pct: null });
    expect(formatTable(t)).toMatch(/^overall\s+0\s+-\s+-\s+-$/m);
  });

  it('prints the groups, the reasons rows were not evaluated and, on request, every row', () => {
    const text = formatTable(summarize(rows, predictions, 'all'), { rows: true });
    expect(text).toMatch(/^overall\s+4\s+26\.3%\s+\+3\.8%\s+75\.0%$/m);
    expect(text).toMatch(/^kind decode\s+2\s+17\.5%\s+-7\.5%\s+100\.0%$/m);
    expect(text).toMatch(/^\s+2\s+unknown model synthetic-model-1t$/m);
    expect(text).toMatch(/^synthetic-c\s+serving_ttft\s+mean\s+ms\s+40\.00\s+60\.00\s+\+50\.0%\s+unsteady$/m);
    expect(text).not.toMatch(/^serving at load/m);
    expect(formatTable(summarize(rows, predictions, 'all'))).not.toMatch(/synthetic-c/);
  });
});

describe('open-loop serving rows by load', () => {
  // load = offered rate over simulated capacity; errors -30% (at 0.95), +10% (at 0.30), -10% (at the near-capacity bound, 0.82, which counts as near), +40% (at 1.4), -30% (at 0.75, where first tokens read short)
  const loadSpecs: [Partial<Record<CorpusColumn, string>>, number, number][] = [
    [{ id: 'synthetic-knee', kind: 'serving_tpot', request_rate_per_s: '2', value: '100' }, 70, 0.95],
    [{ id: 'synthetic-light', kind: 'serving_ttft', request_rate_per_s: '1', value: '100' }, 110, 0.3],
    [{ id: 'synthetic-bound', kind: 'serving_ttft', request_rate_per_s: '3', value: '100' }, 90, NEAR_CAPACITY_LOAD],
    [{ id: 'synthetic-over', kind: 'serving_ttft', request_rate_per_s: '9', value: '100' }, 140, 1.4],
    [{ id: 'synthetic-short', kind: 'serving_ttft', request_rate_per_s: '2.5', value: '100' }, 70, 0.75],
    [{ id: 'synthetic-batch', kind: 'decode', value: '100' }, 105, NaN],
  ];
  const loadRows = parseCorpus(csvText(loadSpecs.map(([c]) => baseCells(c))), 'synthetic.csv');
  const loadPredictions: Prediction[] = loadSpecs.map(([c, v, load]) => ({ id: c.id!, status: 'predicted', value: v, steady: true, load, notes: [] }));
  const t = summarize(loadRows, loadPredictions, 'all');

  it('groups them below the load from which first tokens read short, from it to the near-capacity load, from that to 1, and above 1, leaving other rows out', () => {
    expect(t.by_load).toEqual({
      'below 0.70': { n: 1, mape_pct: 10, bias_pct: 10, within_bound_pct: 100 },
      '0.70 to 0.82': { n: 1, mape_pct: 30, bias_pct: -30, within_bound_pct: 0 },
      '0.82 to 1': { n: 2, mape_pct: 20, bias_pct: -20, within_bound_pct: 50 },
      'above 1': { n: 1, mape_pct: 40, bias_pct: 40, within_bound_pct: 0 },
    });
  });

  it('prints each row\'s load and the group near capacity', () => {
    const text = formatTable(t, { rows: true });
    expect(text).toMatch(/^serving at load 0\.82 to 1\s+2\s+20\.0%\s+-20\.0%\s+50\.0%$/m);
    expect(text).toMatch(/^synthetic-knee\s+serving_tpot\s+mean\s+ms\s+100\.0\s+70\.00\s+-30\.0%\s+0\.95$/m);
    expect(text).toMatch(/^synthetic-batch\s+decode\s+mean\s+ms\s+100\.0\s+105\.0\s+\+5\.0%$/m);
  });
});

describe('rows whose figure turns on the sample of a finite run', () => {
  const burst = parseCorpus(csvText([
    baseCells({ id: 'burst-wide', kind: 'throughput', unit: 'output_tok_s', value: '1000', lengths: 'sharegpt' }),
    baseCells({ id: 'burst-narrow', kind: 'throughput', unit: 'output_tok_s', value: '1000', lengths: 'sharegpt' }),
  ]), 'b.csv');
  const predicted = (id: string, value: number, min: number, max: number): Prediction =>
    ({ id, status: 'predicted', value, steady: true, load: NaN, notes: [], sampleRange: { min, max, seeds: 5 } });

  it('carry their seeds\' error range; one spanning 5 points or more is flagged, and the header counts them', () => {
    const t = summarize(burst, [predicted('burst-wide', 700, 550, 720), predicted('burst-narrow', 900, 890, 930)], 'all');
    expect(t.rows.map((r) => r.sample_error_pct)).toEqual([[-45, -28], [-11, -7]]);
    expect([t.sample_dependent, t.widest_sample_span_pct]).toEqual([1, 17]);
    const text = formatTable(t, { rows: true });
    expect(text).toMatch(/^samples: 1 row turns on the sample of a finite run \(its drawn lengths or arrivals\): over 5 seeds its errors span 17\.0 points/m);
    expect(text).toMatch(/^burst-wide .* -30\.0% +samples -45\.0% to -28\.0%$/m);
    expect(text).not.toMatch(/^burst-narrow .*samples/m);
  });

  it('say nothing when no row has a range', () => {
    expect(formatTable(summarize(rows, predictions, 'all'))).not.toMatch(/^samples:/m);
  });
});

describe('the CI gates of fidelity', () => {
  const t = summarize(rows, predictions, 'all');
  it('--max-error names the rows beyond it, the worst first, and passes when none is', () => {
    expect(gateFailures(t, 0, undefined, 20)).toEqual(['2 of 4 rows are off by more than --max-error 20%: synthetic-c +50.0%, synthetic-b -25.0%']);
    expect(gateFailures(t, 0, undefined, 50)).toEqual([]);
    expect(gateFailures(t, 0, 30, 50)).toEqual([]);
    expect(gateFailures(t, 0, 20, 30)).toEqual(['overall MAPE 26.3% is above --max-mape 20%', '1 of 4 rows are off by more than --max-error 30%: synthetic-c +50.0%']);
  });

  it('vouch for nothing when rows were left unpredicted or none was evaluated', () => {
    expect(gateFailures(t, 3, 90, 90)).toEqual(['--max-mape 90% and --max-error 90% not checked: 3 rows were not predicted in time']);
    expect(gateFailures(summarize([], [], 'all'), 0, undefined, 25)).toEqual(['no row evaluated, so no row can be held to --max-error 25%']);
    expect(gateFailures(t, 0)).toEqual([]);
  });
});
