import { scaledCount } from '../util/scaled-count.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Knob } from './grid.ts';

/**
 * What the simulation tells apart along a range knob of a plan.
 *
 * Fleet sampling (`fleet.scale`) simulates round(count x capacity_share x scale) replicas or
 * instances per region, so neighbouring values of a GPU or instance count often simulate the
 * same fleet (at scale 0.01 and tp 8, one simulated replica per 800 GPUs), and a model's GPUs
 * must be a multiple of its tensor parallelism. Bisecting the raw values would compare identical
 * simulations and report a precision the simulation does not have, or stop at values the
 * scenario refuses; the plan bisects the distinct simulated fleets instead.
 */
export interface Resolution {
  /** Value indices the plan evaluates, ascending: one per distinct simulated fleet. */
  candidates: number[];
  /** Per candidate, the first and last value index that simulate the same fleet. */
  classes: [number, number][];
  /** Why values coincide (for messages), or '' when every value is simulated apart. */
  why: string;
  /** What one candidate simulates ("60 replicas"), for messages. */
  simulated(valueIndex: number): string;
}

/** How one value maps to a simulated fleet: its key (undefined: the scenario refuses the value) and its rounding error. */
interface Sampling {
  key(value: number): string | undefined;
  /** How far the sample is from standing for exactly this value (0: exact); the class's representative minimises it. */
  roundingError(value: number): number;
  why: string;
  simulated(value: number): string;
}

/** The tiers of fleet-schema.ts whose `instances` fleet sampling scales. */
const TIERS = ['gateway', 'chat_api', 'completions_api', 'moderation', 'router', 'redis', 'postgres', 'vector_db'] as const;

function counts(full: number, shares: readonly number[], scale: number): number[] {
  return shares.map((share) => scaledCount(full, share, scale));
}

function roundingError(full: number, shares: readonly number[], scale: number): number {
  return shares.reduce((sum, share) => sum + Math.abs(full * share * scale - scaledCount(full, share, scale)), 0);
}

const fmtCount = (x: number) => x.toLocaleString('en-US');
const plural = (n: number, what: string) => `${fmtCount(n)} ${what}${n === 1 ? '' : 's'}`;

/** The sampling of a fleet count knob, or undefined for any other path. */
function samplingOf(path: string, sc: Scenario): Sampling | undefined {
  const f = sc.fleet;
  if (!f) return undefined;
  const shares = Object.values(f.regions).map((r) => r.capacity_share);
  const sampled = f.scale < 1 ? `under fleet.scale ${f.scale}` : '';
  const isCount = (v: number) => Number.isInteger(v) && v > 0;
  const model = Object.keys(f.models).find((m) => path === `fleet.models.${m}.gpus`);
  if (model !== undefined) {
    const tp = f.models[model].tp;
    const perReplica = f.scale < 1 ? ` one simulated replica stands for about ${fmtCount(Math.round(tp / f.scale))} GPUs` : '';
    return {
      key: (v) => (isCount(v) && v % tp === 0 ? counts(v / tp, shares, f.scale).join(',') : undefined),
      roundingError: (v) => roundingError(v / tp, shares, f.scale),
      why: [`GPUs come in multiples of tp (${tp})`, sampled && `${sampled}${perReplica}`].filter(Boolean).join('; '),
      simulated: (v) => plural(counts(v / tp, shares, f.scale).reduce((a, b) => a + b, 0), 'simulated replica'),
    };
  }
  const tier = TIERS.find((t) => path === `fleet.${t}.instances`);
  if (tier !== undefined && f.scale < 1) {
    return {
      key: (v) => (isCount(v) ? counts(v, shares, f.scale).join(',') : undefined),
      roundingError: (v) => roundingError(v, shares, f.scale),
      why: `${sampled} one simulated instance stands for about ${fmtCount(Math.round(1 / f.scale))}`,
      simulated: (v) => plural(counts(v, shares, f.scale).reduce((a, b) => a + b, 0), 'simulated instance'),
    };
  }
  return undefined;
}

/** Every value its own simulation. */
export function identity(knob: Knob): Resolution {
  const candidates = knob.values.map((_, i) => i);
  return { candidates, classes: candidates.map((i) => [i, i]), why: '', simulated: () => '' };
}

/**
 * The distinct simulations along `knob` with the other knobs as in `sc` (the combination's
 * scenario). A class's representative is the value the sample stands for most exactly (at scale
 * 0.01 and tp 8, 48,000 GPUs for 60 replicas, not the 47,600 that rounds up to them).
 */
export function resolveKnob(knob: Knob, sc: Scenario): Resolution {
  const sampling = knob.kind === 'range' ? samplingOf(knob.path, sc) : undefined;
  if (!sampling) return identity(knob);
  const values = knob.values as number[];
  const candidates: number[] = [];
  const classes: [number, number][] = [];
  let lastKey: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const key = sampling.key(values[i]);
    if (key === undefined) continue;
    if (key !== lastKey) {
      candidates.push(i);
      classes.push([i, i]);
      lastKey = key;
      continue;
    }
    const c = classes.length - 1;
    classes[c][1] = i;
    if (sampling.roundingError(values[i]) < sampling.roundingError(values[candidates[c]])) candidates[c] = i;
  }
  const coarser = classes.length < values.length;
  return { candidates, classes, why: coarser ? sampling.why : '', simulated: (i) => sampling.simulated(values[i]) };
}

/** The step the plan really resolves along a knob: the mean spacing of its distinct simulations. */
export function resolvedStep(knob: Knob, r: Resolution): number | undefined {
  if (r.candidates.length < 2) return undefined;
  const v = knob.values as number[];
  return Number(((v[r.candidates[r.candidates.length - 1]] - v[r.candidates[0]]) / (r.candidates.length - 1)).toPrecision(6));
}
