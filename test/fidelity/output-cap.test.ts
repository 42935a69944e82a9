import { describe, expect, it } from 'vitest';
import { loadCorpus, parseCorpus } from '../../src/fidelity/corpus.ts';
import { datasetLengths } from '../../src/fidelity/dataset-lengths.ts';
import { cappedDatasetMean, cappedGeometricGeneratedShare, cappedGeometricMean, uncappedOutputMean } from '../../src/fidelity/output-cap.ts';
import { predictRow, type Prediction } from '../../src/fidelity/predict.ts';
import { generatedShare } from '../../src/fidelity/published-batch.ts';
import { lengthSampler } from '../../src/fidelity/run.ts';
import { userError } from '../helpers/errors.ts';
import { baseCells, csvText } from './helpers.ts';

/**
 * Outputs capped at a benchmark's max_tokens (`-max-output-N`, src/fidelity/output-cap.ts), held
 * against the geometric law's sums term by term, against draws, and against the published
 * offline runs that stop there (AccelMark's vLLM 0.7.3 rows, transcribed before any prediction).
 */

/** E[min(X, N)] and E[min(X, N)^2] of the geometric law on 1, 2, ... with mean m, summed term by term. */
function slowMoments(m: number, n: number): [number, number] {
  const p = 1 / m;
  let first = 0;
  let second = 0;
  for (let k = 1; k < n; k++) {
    const mass = p * Math.pow(1 - p, k - 1);
    first += k * mass;
    second += k * k * mass;
  }
  const tail = Math.pow(1 - p, n - 1); // P(X >= n), all of it read as n
  return [first + n * tail, second + n * n * tail];
}

describe('capped geometric outputs', () => {
  it('match the law summed term by term', () => {
    for (const [m, n] of [[347, 512], [100, 64], [2000, 4096], [30, 31]]) {
      const [first, second] = slowMoments(m, n);
      expect(cappedGeometricMean(m, n)).toBeCloseTo(first, 6);
      expect(cappedGeometricGeneratedShare(m, n)).toBeCloseTo(second / (2 * first * first), 6);
    }
  });

  it('invert: the mean found, capped, gives back the stated mean, and exceeds it', () => {
    for (const [mean, cap] of [[347, 512], [200, 201], [1, 2], [1000, 16_777_216]]) {
      const m = uncappedOutputMean(mean, cap);
      expect(cappedGeometricMean(m, cap)).toBeCloseTo(mean, 4);
      expect(m).toBeGreaterThanOrEqual(mean);
    }
    expect(() => uncappedOutputMean(512, 512)).toThrow(RangeError);
    // outputs forced to their length or spread uniformly have no capped law to invert
    expect(() => lengthSampler({ prompt_tokens: 256, output_tokens: 347, law: 'geometric', output_law: 'fixed', max_context: 8192, max_output_tokens: 512 }, 1)).toThrow(RangeError);
    expect(() => lengthSampler({ prompt_tokens: 256, output_tokens: 347, law: 'uniform', max_context: 8192, max_output_tokens: 512 }, 1)).toThrow(RangeError);
  });

  it('are drawn so: the stated mean, never past the cap, the cap as often as the law says', () => {
    const draw = lengthSampler({ prompt_tokens: 256, output_tokens: 347, law: 'geometric', max_context: 8192, max_output_tokens: 512 }, 7);
    const n = 100_000;
    let sum = 0;
    let atCap = 0;
    let most = 0;
    for (let i = 0; i < n; i++) {
      const [, output] = draw();
      sum += output;
      if (output === 512) atCap++;
      most = Math.max(most, output);
    }
    const m = uncappedOutputMean(347, 512);
    expect(sum / n).toBeGreaterThan(347 * 0.99);
    expect(sum / n).toBeLessThan(347 * 1.01);
    expect(most).toBe(512);
    // P(X >= 512) = (1 - 1/m)^511, about 0.43 here
    expect(atCap / n).toBeCloseTo(Math.pow(1 - 1 / m, 511), 2);
  });

  it('of a dataset with samples keep its shape under the cap and its stated mean', () => {
    const d = datasetLengths('openorca-mlperf');
    const m = uncappedOutputMean(300, 400, d);
    expect(cappedDatasetMean(d, m, 400)).toBeGreaterThanOrEqual(300);
    expect(cappedDatasetMean(d, m, 400)).toBeLessThan(300.1);
    const draw = lengthSampler({ prompt_tokens: 300, output_tokens: 300, law: 'geometric', dataset: 'openorca-mlperf', max_context: 4096, max_output_tokens: 400 }, 3);
    let sum = 0;
    for (let i = 0; i < 50_000; i++) {
      const [, output] = draw();
      expect(output).toBeLessThanOrEqual(400);
      sum += output;
    }
    expect(Math.abs(sum / 50_000 - 300) / 300).toBeLessThan(0.02);
  });
});

describe('corpus cells with -max-output-N', () => {
  const refusal = (lengths: string, output_tokens = '128') =>
    userError(() => parseCorpus(csvText([baseCells({ id: 'ok' }), baseCells({ lengths, output_tokens })]), 'c.csv'));

  it('read the cap into its own field and leave the dataset name', () => {
    const rows = parseCorpus(csvText([
      baseCells({ lengths: 'sharegpt-max-output-512' }),
      baseCells({ id: 'b', kind: 'throughput', unit: 'output_tok_s', value: '900', batch: '', lengths: 'openorca-mlperf-max-output-1024-cached-prompts', num_requests: '100' }),
    ]), 'c.csv');
    expect(rows.map((r) => [r.lengths, r.max_output_tokens, r.prompts_cached])).toEqual([['sharegpt', 512, false], ['openorca-mlperf', 1024, true]]);
    expect(parseCorpus(csvText([baseCells({ lengths: 'sharegpt' })]), 'c.csv')[0].max_output_tokens).toBeUndefined();
  });

  it('are refused where outputs are exact or spread otherwise, or the cap is below the mean', () => {
    const law = 'expected -max-output-N once, after a dataset whose outputs are drawn geometric or from its samples (sharegpt, openorca-mlperf, ...), not after fixed, uniform or ranged lengths';
    for (const cell of ['fixed-max-output-512', 'random-max-output-512', 'random-uniform-max-output-512', 'random-range-0.5-max-output-512', 'sharegpt-fixed-output-max-output-512', 'sharegpt-max-output-600-max-output-512']) {
      expect(refusal(cell)).toBe(`c.csv:3: lengths: ${law}, got "${cell}"`);
    }
    expect(refusal('sharegpt-max-output-128')).toBe('c.csv:3: lengths: expected output_tokens (the capped outputs\' mean, 128) below the cap 128, got "sharegpt-max-output-128"');
    expect(refusal('sharegpt-max-output-0')).toBe('c.csv:3: lengths: expected -max-output-N with N a positive integer up to 16777216, got "sharegpt-max-output-0"');
    expect(refusal('sharegpt-max-output-512-fixed-output')).toBe('c.csv:3: lengths: expected -max-output-N last (before -cached-prompts only), after the dataset whose outputs it caps, got "sharegpt-max-output-512-fixed-output"');
  });
});

function valueOf(p: Prediction): number {
  if (p.status !== 'predicted') throw new Error(`${p.id}: ${p.reason}`);
  return p.value;
}

describe('capped outputs in a simulated run', () => {
  it('shorten a burst to its capped longest request', () => {
    const cells = { kind: 'throughput', unit: 'output_tok_s', value: '5000', batch: '', num_requests: '100', prompt_tokens: '256', output_tokens: '347', gpu: 'h100-80gb', model: 'llama-3-8b', dtype: 'bf16', stack_version: '0.7.3' };
    const [uncapped, capped] = parseCorpus(csvText([baseCells({ ...cells, lengths: 'sharegpt' }), baseCells({ ...cells, id: 'c', lengths: 'sharegpt-max-output-512' })]), 'c.csv');
    const a = valueOf(predictRow(uncapped, { sampleSeeds: 1 }));
    const b = valueOf(predictRow(capped, { sampleSeeds: 1 }));
    // the same tokens served in fewer steps: the longest of 100 geometric draws around 347 is near 1,800
    expect(b).toBeGreaterThan(1.5 * a);
  });

  it('put the published offline runs that stop at 512 tokens within 15%', () => {
    const rows = loadCorpus(['data/corpus/fresh-2026-12/serving-3.csv']).filter((r) => r.kind === 'throughput' && r.max_output_tokens === 512);
    expect(rows.length).toBe(4);
    for (const r of rows) expect(Math.abs(valueOf(predictRow(r, { sampleSeeds: 1 })) / r.value - 1), r.id).toBeLessThan(0.15);
  });

  it('spread the tokens a sequence in flight has generated as the capped law does', () => {
    const [row] = parseCorpus(csvText([baseCells({ kind: 'serving_ttft', request_rate_per_s: '5', batch: '', lengths: 'sharegpt-max-output-512', output_tokens: '347' })]), 'c.csv');
    const share = generatedShare(row);
    expect(share).toBeCloseTo(cappedGeometricGeneratedShare(uncappedOutputMean(347, 512), 512), 9);
    // between fixed outputs (1/2) and the uncapped law (about 1)
    expect(share).toBeGreaterThan(0.5);
    expect(share).toBeLessThan(0.9);
  });
});
