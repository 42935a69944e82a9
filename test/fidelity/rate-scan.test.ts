import { describe, expect, it } from 'vitest';
import { parseCorpus, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import { predictRow, RATE_SCAN_UP, withRunCache, type Prediction } from '../../src/fidelity/predict.ts';
import { NEAR_CAPACITY_LOAD } from '../../src/perf/model-error.ts';
import { summarize } from '../../src/fidelity/table.ts';
import { fleetsim, show } from '../helpers/cli.ts';
import { baseCells, csvText, writeTemp } from './helpers.ts';

/**
 * `fidelity --rate-scan`: for a latency row near capacity, the request rate at which fleetsim reads
 * the measured figure. The truth it is held to is fleetsim's own figure at a known rate: a row whose
 * "measured" value is fleetsim's prediction at 1.05 times its rate must be read at 1.05 (a scan that
 * interpolated wrongly, scanned the wrong way or read another run would miss it). Llama 2 7B on one
 * A100 under vLLM 0.8, a steady-state open loop (no run length) of 512-token prompts and 128-token
 * outputs, as in near-capacity.test.ts.
 */
const cells = (over: Partial<Record<CorpusColumn, string>>) => baseCells({
  stack: 'vllm', stack_version: '0.8.0', gpu: 'a100-80gb', model: 'llama-2-7b', batch: '', prompt_tokens: '512', output_tokens: '128',
  lengths: 'fixed', kind: 'serving_tpot', unit: 'ms', ...over,
});
const rowOf = (over: Partial<Record<CorpusColumn, string>>) => parseCorpus(csvText([cells({ id: 'synthetic-rate-scan', ...over })]), 'synthetic.csv')[0];
const options = withRunCache({});
const predict = (over: Partial<Record<CorpusColumn, string>>, rateScan = false): Extract<Prediction, { status: 'predicted' }> => {
  const p = predictRow(rowOf(over), { ...options, rateScan });
  if (p.status !== 'predicted') throw new Error(p.reason);
  return p;
};
const capacity_rps = 1 / predict({ request_rate_per_s: '1', value: '10' }).load;
const rate = 0.9 * capacity_rps;
const figureAt = (multiple: number) => predict({ request_rate_per_s: String(rate * multiple), value: '10' }).value;

describe('fidelity --rate-scan', () => {
  it('reads a row whose figure is fleetsim\'s own at 1.05 times its rate at 1.05 (within the interpolation between scanned rates)', () => {
    const p = predict({ request_rate_per_s: String(rate), value: String(figureAt(1.05)) }, true);
    expect(p.load).toBeGreaterThanOrEqual(NEAR_CAPACITY_LOAD);
    expect(p.rateAtFigure?.beyond).toBe(false);
    expect(p.rateAtFigure!.multiple).toBeGreaterThan(1.04);
    expect(p.rateAtFigure!.multiple).toBeLessThan(1.065);
  });

  it('scans downward when fleetsim reads the figure long: its figure at 0.95 times the rate is read at 0.95', () => {
    const p = predict({ request_rate_per_s: String(rate), value: String(figureAt(0.95)) }, true);
    expect(p.rateAtFigure!.multiple).toBeGreaterThan(0.935);
    expect(p.rateAtFigure!.multiple).toBeLessThan(0.96);
  });

  it('reads a figure equal to its prediction at exactly the published rate', () => {
    const at = predict({ request_rate_per_s: String(rate), value: '10' });
    const p = predict({ request_rate_per_s: String(rate), value: String(at.value) }, true);
    expect(p.rateAtFigure).toEqual({ multiple: 1, beyond: false });
  });

  it('says a figure ten times the prediction lies beyond the rates it could read, at a bound no higher than the last scanned', () => {
    const at = predict({ request_rate_per_s: String(rate), value: '10' });
    const p = predict({ request_rate_per_s: String(rate), value: String(10 * at.value) }, true);
    expect(p.rateAtFigure?.beyond).toBe(true);
    expect(p.rateAtFigure!.multiple).toBeGreaterThanOrEqual(1);
    expect(p.rateAtFigure!.multiple).toBeLessThanOrEqual(RATE_SCAN_UP[RATE_SCAN_UP.length - 1]);
  });

  it('leaves rows below NEAR_CAPACITY_LOAD, throughput rows and runs without the flag unscanned', () => {
    expect(predict({ request_rate_per_s: String(0.5 * capacity_rps), value: '10' }, true).rateAtFigure).toBeUndefined();
    expect(predict({ request_rate_per_s: String(rate), kind: 'serving_throughput', unit: 'req_s', value: '1' }, true).rateAtFigure).toBeUndefined();
    expect(predict({ request_rate_per_s: String(rate), value: '10' }).rateAtFigure).toBeUndefined();
  });

  it('keeps bounds above the published rate apart from bounds below it (an average of the two read -15% from +20% and -50%)', () => {
    const rows = parseCorpus(csvText([cells({ id: 'r-above', request_rate_per_s: '1', value: '10' }), cells({ id: 'r-below', request_rate_per_s: '1', value: '10' })]), 'synthetic.csv');
    const predicted = (id: string, multiple: number): Prediction => ({ id, status: 'predicted', value: 10, steady: true, load: 0.9, notes: [], rateAtFigure: { multiple, beyond: true } });
    const c = summarize(rows, [predicted('r-above', 1.2), predicted('r-below', 0.5)]).capacity_error!;
    expect(c).toMatchObject({ scanned: 2, reached: 0, beyond_above: 1, beyond_below: 1 });
    expect(c.beyond_above_mean_bound_pct).toBeCloseTo(20, 9);
    expect(c.beyond_below_mean_bound_pct).toBeCloseTo(-50, 9);
  });

  it('from the CLI: each scanned row carries its rate error and the table a summary; without the flag neither', async () => {
    const at = predict({ request_rate_per_s: String(rate), value: '10' });
    const corpus = writeTemp({ 'corpus.csv': csvText([cells({ id: 'synthetic-rate-scan', request_rate_per_s: String(rate), value: String(at.value) })]) })['corpus.csv'];
    const scanned = await fleetsim(['fidelity', '--corpus', corpus, '--split', 'all', '--rate-scan', '--json']);
    expect(scanned.code, show(scanned)).toBe(0);
    const t = JSON.parse(scanned.stdout);
    expect(t.rows[0].capacity_error_pct).toBe(0);
    expect(t.capacity_error).toMatchObject({ scanned: 1, reached: 1, beyond_above: 0, beyond_below: 0, within_bound_pct: 100 });
    const text = await fleetsim(['fidelity', '--corpus', corpus, '--split', 'all', '--rate-scan', '--rows']);
    expect(text.stdout).toMatch(/rate scan: 1 latency row at load 0\.\d\d to 1/);
    expect(text.stdout).toContain('rate at figure +0.0%');
    const plain = await fleetsim(['fidelity', '--corpus', corpus, '--split', 'all', '--json']);
    expect(JSON.parse(plain.stdout).capacity_error).toBeUndefined();
    expect(JSON.parse(plain.stdout).rows[0].capacity_error_pct).toBeUndefined();
  });
});
