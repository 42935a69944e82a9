import { z } from 'zod';
import { nonNegInt, nonNegNum, posInt, posNum, prob, strict } from '../../util/zod-helpers.ts';
import { Profile } from '../../workload/profile-schema.ts';
import { listNames, quote } from '../../util/excerpt.ts';
import type { FleetSpec } from '../schema.ts';

/** A piecewise-linear curve of capacity factors: the same shape as workload rate profiles. */
const Curve = Profile;

/**
 * Scheduled scaling: a floor on the instance count that follows a known curve, `lead_s` ahead of
 * it (`lead_s` is divided by time_compression, like every control delay). Without `profile` the workload's own arrival profile is used. The floor is
 * ceil(configured x factor(t + lead_s) / max factor x headroom).
 */
const Schedule = strict({
  profile: Curve.optional(),
  lead_s: nonNegNum().default(0),
  headroom: posNum().default(1),
});

/**
 * An HPA-like autoscaler. `target` is a tier or station (`chat_api`, `us-east/chat_api`, `api`) or
 * a GPU cluster (`gpu:gpt-4`, `gpu:gpt-4/us-east`); one control loop per region. Counts (`min`,
 * `max`, `initial`) are of the full fleet, scaled like `instances` (fleet sampling, region shares).
 */
const Autoscaler = strict({
  target: z.string().min(1),
  /**
   * Tiers: `utilization` (busy servers / servers) or `concurrency` (requests in service or queued
   * per instance). GPU clusters: `queue` (waiting requests per serving replica) or `kv` (mean
   * KV-cache use of the serving replicas).
   */
  metric: z.enum(['utilization', 'concurrency', 'queue', 'kv']),
  target_value: posNum(),
  /** Tolerance: no change while |metric / target - 1| <= this (Kubernetes: 0.1). */
  tolerance: nonNegNum().default(0.1),
  min: posInt().optional(),
  max: posInt().optional(),
  /** Instances at the start (default: the configured count). */
  initial: posInt().optional(),
  /** Stabilisation windows: scale up to the lowest, down to the highest recommendation of the window. */
  scale_up_window_s: nonNegNum().default(0),
  scale_down_window_s: nonNegNum().default(300),
  /** Metrics pipeline delay: decisions see the metric as it was this long ago. */
  metrics_delay_s: nonNegNum().default(15),
  /** Tiers: instance boot time. GPU clusters: provisioning (node + container) before the weights load. */
  boot_s: nonNegNum().default(60),
  /**
   * Most instances added per decision as a factor of the current count (Kubernetes: 100% or 4 pods):
   * above 1, as at 1 or less no decision could add one and scale-up was off without a word.
   */
  max_step_up: posNum().gt(1, { error: 'expected a number above 1 (the count a decision may multiply: at 1 or less it never scales up)' }).default(2),
  schedule: Schedule.optional(),
}).superRefine((a, ctx) => {
  // min above max was accepted, and max silently won
  if (a.min !== undefined && a.max !== undefined && a.min > a.max) ctx.addIssue({ code: 'custom', path: ['min'], input: a.min, message: `expected at most max (${a.max})` });
  if (a.initial !== undefined && a.min !== undefined && a.initial < a.min) ctx.addIssue({ code: 'custom', path: ['initial'], input: a.initial, message: `expected at least min (${a.min})` });
  if (a.initial !== undefined && a.max !== undefined && a.initial > a.max) ctx.addIssue({ code: 'custom', path: ['initial'], input: a.initial, message: `expected at most max (${a.max})` });
});

/**
 * The shortest control period, after time_compression: a loop every 1e-300 s kept the simulated
 * clock still (a decision per period) until the wall budget ran out. Real control loops run every
 * few seconds; a millisecond leaves room for any compressed day.
 */
const MIN_CONTROL_INTERVAL_S = 0.001;

const Version = strict({
  /** Multiplies the version's step time (a slower build). */
  step_time_factor: posNum().default(1),
  /** Share of requests sent to the version that fail (a buggy build). */
  error_rate: prob().default(0),
  /** Multiplies the usable KV cache (more memory per request = a smaller cache). */
  kv_factor: posNum().default(1),
});

const ArmSlo = strict({
  e2e_p99_ms: posNum().optional(),
  ttft_p99_ms: posNum().optional(),
  error_rate: prob().optional(),
});

/** Rolling update of a GPU cluster: replicas drained and restarted (cold start) in batches. */
const Rolling = strict({
  kind: z.literal('rolling'),
  target: z.string().min(1),
  at_s: nonNegNum(),
  /** Replicas that may be unavailable: a count, or a fraction of the cluster (rounded down). */
  // a count or a fraction: bounded as counts go (1e308 was refused as an infinite fleet, no field named)
  max_unavailable: nonNegNum().max(1_000_000, { error: 'expected a count of at most 1,000,000 replicas, or a fraction' }).default(0.25),
  /** Extra replicas that may be started above the desired count: a count or fraction (rounded up). */
  max_surge: nonNegNum().max(1_000_000, { error: 'expected a count of at most 1,000,000 replicas, or a fraction' }).default(0),
  /** Provisioning before the weights load (the cold start is this plus weights_gb / s3.load_gb_per_s). */
  boot_s: nonNegNum().default(0),
}).superRefine((d, ctx) => {
  // as Kubernetes' validation: an update that may take none down and start none never proceeds
  // (it was refused in mid-run, when the update began, naming no file)
  if (d.max_unavailable === 0 && d.max_surge === 0) {
    ctx.addIssue({ code: 'custom', path: ['max_unavailable'], message: 'expected above 0 when max_surge is 0 (the update could never proceed)', input: d.max_unavailable });
  }
});

/** Blue-green: a second full set boots, traffic switches at once when it is ready, the old set is drained. */
const BlueGreen = strict({
  kind: z.literal('blue-green'),
  target: z.string().min(1),
  at_s: nonNegNum(),
  boot_s: nonNegNum().default(0),
});

/**
 * Canary rollout of a new version of a served model: traffic steps with a bake time each; at the
 * end of every bake the canary arm is checked against its SLO and rolled back at the first breach.
 */
const Canary = strict({
  kind: z.literal('canary'),
  model: z.string().min(1),
  at_s: nonNegNum(),
  version: Version.default({ step_time_factor: 1, error_rate: 0, kv_factor: 1 }),
  steps: z.array(prob()).min(1).default([0.01, 0.05, 0.25, 1]),
  bake_s: posNum().default(300),
  /**
   * Requests the canary must have completed (or failed) in a step before its SLO is judged. Fewer
   * is no verdict: the step is held for another bake, and rolled back after 5 (canary.ts).
   */
  min_requests: nonNegInt().default(20),
  /** Default: the model's slo. */
  slo: ArmSlo.optional(),
  /** Split by a hash of the user id (sticky) or per request at random. */
  split: z.enum(['user', 'random']).default('random'),
  /** Canary replicas are ceil(share x replicas x this), at least one. */
  replica_headroom: posNum().default(1.5),
});

/** A/B experiment: a fixed share of users (hash of the user id) on version B, per-arm latency and cost. */
const AB = strict({
  kind: z.literal('ab'),
  model: z.string().min(1),
  at_s: nonNegNum().default(0),
  share: prob().default(0.5),
  version: Version.default({ step_time_factor: 1, error_rate: 0, kv_factor: 1 }),
  split: z.enum(['user', 'random']).default('user'),
  replica_headroom: posNum().default(1.2),
});

const Deploy = z.discriminatedUnion('kind', [Rolling, BlueGreen, Canary, AB]);

/**
 * Whether two autoscaler targets name a common pool: the same GPU model or tier kind, and the same
 * region or no region on either (`gpu:llama` covers `gpu:llama/us-east`; `chat_api` covers
 * `us-east/chat_api`). Targets read as the fleet index reads them (fleet-index.ts).
 */
function targetsOverlap(a: string, b: string): boolean {
  const parts = (t: string) => {
    if (t.startsWith('gpu:')) {
      const [model, region] = t.slice(4).split('/');
      return { name: `gpu:${model}`, region };
    }
    const [x, y] = t.split('/');
    return y === undefined ? { name: x, region: undefined } : { name: y, region: x };
  };
  const p = parts(a), q = parts(b);
  return p.name === q.name && (p.region === undefined || q.region === undefined || p.region === q.region);
}

/**
 * Two autoscalers on one pool are refused: each loop would scale it to its own recommendation
 * every interval, undoing the other's (a queue and a kv loop on one cluster flipped it 32 -> 4 ->
 * 8 -> 32, 79 times in 900 s). Kubernetes refuses the same for two HPAs on one workload; one
 * autoscaler per pool, or per region (`gpu:m/us-east`, `gpu:m/eu-west`), is the rule.
 */
function checkAutoscalerTargets(autoscalers: readonly AutoscalerSpec[], ctx: z.RefinementCtx): void {
  autoscalers.forEach((a, i) => {
    const j = autoscalers.findIndex((b, k) => k < i && targetsOverlap(a.target, b.target));
    if (j < 0) return;
    const message = `expected a pool no other autoscaler scales (control.autoscalers[${j}] scales ${quote(autoscalers[j].target)}: two loops on one pool undo each other's decisions)`;
    ctx.addIssue({ code: 'custom', path: ['autoscalers', i, 'target'], input: a.target, message });
  });
}

export const ControlSchema = strict({
  /** Period of every control loop. */
  interval_s: posNum().default(15),
  /** Compressed days: every control delay (windows, metrics delay, boot, weight loading) is divided by this. */
  time_compression: posNum().default(1),
  autoscalers: z.array(Autoscaler).default([]),
  deploys: z.array(Deploy).default([]),
}).superRefine((c, ctx) => {
  if (c.interval_s / c.time_compression < MIN_CONTROL_INTERVAL_S) {
    ctx.addIssue({ code: 'custom', path: ['interval_s'], input: c.interval_s, message: `expected at least ${MIN_CONTROL_INTERVAL_S} s x time_compression (${c.time_compression}): a control period of a millisecond or more` });
  }
  checkAutoscalerTargets(c.autoscalers, ctx);
});

export type ControlSpec = z.infer<typeof ControlSchema>;
export type AutoscalerSpec = z.infer<typeof Autoscaler>;
export type DeploySpec = z.infer<typeof Deploy>;
export type CanarySpec = z.infer<typeof Canary>;
export type ABSpec = z.infer<typeof AB>;
export type VersionSpec = z.infer<typeof Version>;

/**
 * Canary and A/B deploys on a disaggregated model are refused, for the scenario's schema
 * (scenario/schema.ts) to call with the whole scenario (paths from its top). Arm B is built as
 * colocated replicas, as many as the model's colocated ones, and a disaggregated model has none
 * (its replicas are its prefill and decode pools): the deploy ran on no replicas, arm B got no
 * requests and a canary never reached its first step, all without a word. Modelling it would need
 * arm B's own prefill and decode pools and KV route.
 */
export function checkVersionDeploys(control: ControlSpec | undefined, fleet: FleetSpec | undefined, ctx: z.RefinementCtx): void {
  if (!control || !fleet) return;
  const colocated = Object.keys(fleet.models).filter((name) => !fleet.models[name].disaggregation);
  control.deploys.forEach((d, i) => {
    if (d.kind !== 'canary' && d.kind !== 'ab') return;
    if (!Object.hasOwn(fleet.models, d.model) || !fleet.models[d.model].disaggregation) return;
    const what = d.kind === 'canary' ? 'a canary' : 'an A/B experiment';
    const expected = colocated.length > 0 ? listNames(colocated) : 'none in this fleet';
    ctx.addIssue({ code: 'custom', path: ['control', 'deploys', i, 'model'], input: d.model, message: `${what} on a disaggregated model (fleet.models.${d.model}.disaggregation) is not modelled: expected a colocated model (${expected})` });
  });
}
