import type { DatasetLengths } from './dataset-lengths.ts';

/**
 * Outputs that stopped either at the model's end of text or at the benchmark's max_tokens cap:
 * a `lengths` cell ending in `-max-output-N` (data/corpus/README.md). The row's output_tokens is
 * then the mean of the capped outputs, so the law is drawn around a larger mean M whose draws,
 * capped at N, average the stated mean.
 *
 * Why it matters: a run that sends its requests at once lasts as long as its longest output. A
 * geometric law around 347 tokens puts the longest of 100 draws near 1,800 tokens; AccelMark's
 * vLLM 0.7.3 runs (data/corpus/fresh-2026-12/serving-3.csv, max_tokens 512, no ignore_eos) stop
 * every output at 512, and read uncapped their offline throughput came out 45-56% short
 * (docs/fidelity.md).
 */

/** Iterations of the bisection on M: far past double precision on any span of means below 2^53. */
const BISECTION_STEPS = 200;

/** E[min(X, cap)] for X geometric on 1, 2, ... with mean `mean` (run.ts geometric): sum over k < cap of P(X > k). */
export function cappedGeometricMean(mean: number, cap: number): number {
  if (mean <= 1) return 1;
  const q = 1 - 1 / mean;
  return (1 - Math.pow(q, cap)) / (1 - q);
}

/** E[min(X, cap)^2] / (2 E[min(X, cap)]^2) for that law: the share of its mean output a sequence in flight has generated (published-batch.ts). */
export function cappedGeometricGeneratedShare(mean: number, cap: number): number {
  if (mean <= 1) return 0.5;
  const q = 1 - 1 / mean;
  const qN = Math.pow(q, cap);
  const sum = (1 - qN) / (1 - q);
  // sum over k < cap of k q^k, then E[Y^2] = sum over k < cap of (2k + 1) q^k
  const weighted = q * (1 - cap * Math.pow(q, cap - 1) + (cap - 1) * qN) / ((1 - q) * (1 - q));
  const secondMoment = 2 * weighted + sum;
  return secondMoment / (2 * sum * sum);
}

/** A dataset's output, scaled so that the uncapped outputs average `mean`, then capped (run.ts datasetSampler draws so). */
export function cappedDatasetOutput(d: DatasetLengths, i: number, mean: number, cap: number): number {
  return Math.min(Math.max(1, Math.round(d.outputs[i] * mean / d.output_mean)), cap);
}

/** The first and second moments of a dataset's outputs scaled to `mean` and capped at `cap`. */
function cappedDatasetMoments(d: DatasetLengths, mean: number, cap: number): [number, number] {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < d.outputs.length; i++) {
    const o = cappedDatasetOutput(d, i, mean, cap);
    sum += o;
    squares += o * o;
  }
  return [sum / d.outputs.length, squares / d.outputs.length];
}

/** The mean of a dataset's outputs scaled to `mean` and capped at `cap`. */
export function cappedDatasetMean(d: DatasetLengths, mean: number, cap: number): number {
  return cappedDatasetMoments(d, mean, cap)[0];
}

/**
 * E[Y^2] / (2 E[Y]^2) of outputs Y capped at `cap` whose capped mean is `cappedMean`: geometric, or
 * the dataset's scaled (published-batch.ts generatedShare).
 */
export function cappedGeneratedShare(cappedMean: number, cap: number, d?: DatasetLengths): number {
  if (!d) return cappedGeometricGeneratedShare(uncappedOutputMean(cappedMean, cap), cap);
  const [first, second] = cappedDatasetMoments(d, uncappedOutputMean(cappedMean, cap, d), cap);
  return second / (2 * first * first);
}

/**
 * The uncapped mean M whose draws, capped at `cap`, average `cappedMean` (the row's output_tokens):
 * a bisection on M, the capped mean being non-decreasing in M and tending to `cap`. A mean the cap
 * cannot reach (cappedMean >= cap) is refused by the corpus loader; here it throws.
 */
export function uncappedOutputMean(cappedMean: number, cap: number, d?: DatasetLengths): number {
  if (!(cappedMean >= 1 && cappedMean < cap)) throw new RangeError(`uncappedOutputMean: expected a mean from 1 to below the cap ${cap}, got ${cappedMean}`);
  const meanAt = (m: number) => (d ? cappedDatasetMean(d, m, cap) : cappedGeometricMean(m, cap));
  let low = cappedMean;
  let high = cappedMean;
  for (let k = 0; meanAt(high) < cappedMean; k++) {
    if (k >= BISECTION_STEPS) throw new RangeError(`uncappedOutputMean: no mean reaches ${cappedMean} under the cap ${cap}`);
    low = high;
    high *= 2;
  }
  for (let k = 0; k < BISECTION_STEPS && high - low > 1e-9 * high; k++) {
    const mid = (low + high) / 2;
    if (meanAt(mid) < cappedMean) low = mid;
    else high = mid;
  }
  return high;
}
