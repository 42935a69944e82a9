import { impossibleTime, type FitPoint } from '../perf/calibrate.ts';
import type { CalibrationProfile } from '../perf/calibration.ts';
import { buildStepGeometry } from '../perf/step.ts';
import { NEAR_CAPACITY_LOAD } from '../perf/model-error.ts';
import { SERVING_LATENCY_KINDS, type CorpusRow } from './corpus.ts';
import { predictRows, resolveRow, rowStepOptions } from './predict.ts';

/**
 * Corpus rows as what `calibrate` fits: batch-level rows (prefill, decode, latency, offline
 * throughput) as closed-form fit points; serving rows as a function that simulates them under a
 * candidate profile. Rows fleetsim cannot model (unknown model, dtype) are left out and counted.
 */
const CLOSED_FORM = new Set(['prefill', 'decode', 'latency', 'throughput']);

export interface CorpusFitSet {
  readonly points: FitPoint[];
  readonly serving: CorpusRow[];
  readonly skipped: string[];
  /** rows faster than the roofline allows or slower than any profile, left out as not measurements of their configuration */
  readonly fasterThanRoofline: string[];
}

export function corpusFitSet(rows: readonly CorpusRow[], base: CalibrationProfile): CorpusFitSet {
  const points: FitPoint[] = [];
  const serving: CorpusRow[] = [];
  const skipped: string[] = [];
  const fasterThanRoofline: string[] = [];
  for (const row of rows) {
    const resolved = resolveRow(row, base);
    if (typeof resolved === 'string') {
      skipped.push(`${row.id}: ${resolved}`);
      continue;
    }
    if (!CLOSED_FORM.has(row.kind)) {
      serving.push(row);
      continue;
    }
    const geometry = buildStepGeometry(rowStepOptions(row, resolved.model, resolved.gpu, base));
    const point: FitPoint = {
      id: row.id, kind: row.kind as FitPoint['kind'], group: `${row.gpu} ${row.dtype}`, geometry, gpu: resolved.gpu, measured: row.value,
      batch: row.batch, numRequests: row.num_requests, prompt_tokens: row.prompt_tokens, output_tokens: row.output_tokens,
      throughputTokens: row.unit === 'total_tok_s' ? 'total' : 'output',
    };
    // as the Splitwise measurements' (perf/measurements.ts): no profile explains such a row
    const impossible = impossibleTime(point, base);
    if (impossible) {
      fasterThanRoofline.push(`${row.file}:${row.line}: ${row.id}: value: ${impossible}`);
      continue;
    }
    points.push(point);
  }
  return { points, serving, skipped, fasterThanRoofline };
}

/**
 * Log ratios of predicted to measured for the serving rows under a profile (simulated replicas),
 * simulated as `fidelity` evaluates them: a run cut shorter than the benchmark's (fewer requests)
 * queues less when the offered load is above capacity, and the fit then moves the overheads to
 * make up for the missing queue.
 */
export function servingLogErrors(rows: readonly CorpusRow[]): (profile: CalibrationProfile) => number[] {
  return (profile) => predictRows(rows, { calibration: profile }).map((p, i) =>
    (p.status === 'predicted' ? Math.log(p.value / rows[i].value) : 0));
}

/**
 * The serving rows a fit reads: every one but the latencies of open-loop runs at NEAR_CAPACITY_LOAD
 * of their capacity or more under the base profile, which a fit would chase through a term that
 * amplifies every error (a capacity 5% off moves such a latency by tens of percent). Throughput
 * rows stay at any load: near and past capacity they measure the capacity itself.
 */
export function servingBelowKnee(rows: readonly CorpusRow[], base: CalibrationProfile): { kept: CorpusRow[]; left: string[] } {
  const predictions = predictRows(rows, { calibration: base });
  const kept: CorpusRow[] = [];
  const left: string[] = [];
  rows.forEach((row, i) => {
    const p = predictions[i];
    const load = p.status === 'predicted' ? p.load : NaN;
    // near capacity a latency measures the capacity error, amplified (docs/fidelity.md, "Near capacity")
    if (SERVING_LATENCY_KINDS.includes(row.kind) && load >= NEAR_CAPACITY_LOAD) {
      left.push(`${row.id}: ${load > 1 ? 'past' : 'near'} capacity (load ${load.toFixed(2)} under the base profile): its latency measures the capacity error, amplified`);
    } else {
      kept.push(row);
    }
  });
  return { kept, left };
}
