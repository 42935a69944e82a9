import { scaledStepModel, type StepModel } from '../../perf/step.ts';
import type { ControlSpec, VersionSpec } from './schema.ts';
import type { FleetSpec } from '../schema.ts';
import { scaledCount } from '../../util/scaled-count.ts';

/** Does a `gpu:model[/region]` target name this model in this region? */
export function gpuTargetMatches(target: string, model: string, region: string): boolean {
  if (!target.startsWith('gpu:')) return false;
  const [m, r] = target.slice(4).split('/');
  return m === model && (r === undefined || r === region);
}

/** Replicas a count or a fraction of `n` stands for (fractions < 1 are shares; Kubernetes rounding). */
export function countOf(v: number, n: number, roundUp: boolean): number {
  if (v >= 1 || v === 0) return Math.floor(v);
  return roundUp ? Math.ceil(v * n) : Math.floor(v * n);
}

/**
 * Replicas to allocate for a GPU cluster (one model, one region): the configured count `base`, or
 * more when the control plane may run more (an autoscaler's max, a blue-green second set, a
 * rolling update's surge). The replicas beyond the serving count start switched off.
 */
export function replicasToAllocate(control: ControlSpec | undefined, f: FleetSpec, model: string, region: string, base: number): number {
  if (!control) return base;
  const share = f.regions[region].capacity_share;
  let n = base;
  for (const a of control.autoscalers) {
    if (gpuTargetMatches(a.target, model, region) && a.max !== undefined) n = Math.max(n, scaledCount(a.max, share, f.scale));
  }
  for (const d of control.deploys) {
    if (d.kind === 'blue-green' && gpuTargetMatches(d.target, model, region)) n = Math.max(n, 2 * n);
    if (d.kind === 'rolling' && gpuTargetMatches(d.target, model, region)) n = Math.max(n, n + countOf(d.max_surge, n, true));
  }
  return n;
}

/** Replicas serving at the start: an autoscaler's `initial`, else the configured count (clamped to min/max). */
export function initialReplicas(control: ControlSpec | undefined, f: FleetSpec, model: string, region: string, base: number): number {
  const share = f.regions[region].capacity_share;
  for (const a of control?.autoscalers ?? []) {
    if (!gpuTargetMatches(a.target, model, region)) continue;
    let n = a.initial !== undefined ? scaledCount(a.initial, share, f.scale) : base;
    if (a.min !== undefined) n = Math.max(n, scaledCount(a.min, share, f.scale));
    if (a.max !== undefined) n = Math.min(n, scaledCount(a.max, share, f.scale));
    return n;
  }
  return base;
}

/** The version deploys (canary, A/B) of a model: at most one arm per model. */
export function armOf(control: ControlSpec | undefined, model: string): Extract<ControlSpec['deploys'][number], { kind: 'canary' | 'ab' }> | undefined {
  return control?.deploys.find((d): d is Extract<typeof d, { kind: 'canary' | 'ab' }> => (d.kind === 'canary' || d.kind === 'ab') && d.model === model);
}

/** A version's step model: step times multiplied, KV cache scaled (more memory per request). */
export function versionStep(step: StepModel, v: VersionSpec): StepModel {
  return scaledStepModel(step, v.step_time_factor, v.kv_factor);
}
