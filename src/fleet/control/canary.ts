import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import type { Outcome } from '../../metrics/outcomes.ts';
import type { DeploySpec } from './schema.ts';
import type { ArmObserver } from '../llm/pipeline.ts';
import type { ControlContext } from './context.ts';
import type { ReplicaPool } from './gpu-pool.ts';
import type { ArmTally, DeployRecord, RolloutStepRecord } from './record.ts';

type VersionSpec = Extract<DeploySpec, { kind: 'canary' | 'ab' }>;
type CanarySpec = Extract<DeploySpec, { kind: 'canary' }>;

const newTally = (): ArmTally => ({ requests: 0, completed: 0, failed: 0, e2e: new LatencyStats(), ttft: new LatencyStats() });

/**
 * Per-arm tallies of the version deploys ([stable, arm B]): over the measured period by model name
 * (the report's A/B figures), and over the canary step in progress by model index.
 */
export class ArmTallies {
  readonly totals: Record<string, [ArmTally, ArmTally]> = {};
  private readonly steps: Record<number, [ArmTally, ArmTally]> = {};

  startStep(model: number): void {
    this.steps[model] = [newTally(), newTally()];
  }
  /** The step in progress so far (a held step keeps counting). */
  stepSoFar(model: number): [ArmTally, ArmTally] {
    return this.steps[model];
  }
  endStep(model: number): [ArmTally, ArmTally] {
    const t = this.steps[model];
    delete this.steps[model];
    return t;
  }

  /** The pipeline's observer feeding these tallies (`names`: model names by index). */
  observer(ctx: ControlContext, names: readonly string[]): ArmObserver {
    const measured = () => ctx.sim.now_ms >= ctx.from_ms;
    const add = (t: ArmTally | undefined, outcome: Outcome, e2e_ms: number) => {
      if (!t) return;
      t.requests++;
      if (outcome === 'completed') (t.completed++, t.e2e.add(e2e_ms));
      else t.failed++;
    };
    return {
      firstToken: (m, arm, ttft_ms) => {
        this.steps[m]?.[arm].ttft.add(ttft_ms);
        if (measured()) this.totals[names[m]]?.[arm].ttft.add(ttft_ms);
      },
      finish: (m, arm, outcome, e2e_ms) => {
        add(this.steps[m]?.[arm], outcome, e2e_ms);
        if (measured()) add(this.totals[names[m]]?.[arm], outcome, e2e_ms);
      },
    };
  }
}

/** A model's second version: its arm B pools, its stable pools, and moving the traffic share once arm B has the replicas for it. */
class VersionArm {
  private waiting: { share: number; targets: number[]; then: () => void } | null = null;

  constructor(
    readonly armPools: ReplicaPool[],
    readonly stablePools: ReplicaPool[],
    private readonly route: { share: number },
    private readonly headroom: number,
  ) {
    for (const p of armPools) p.addListener(() => this.onReady());
  }

  /** Scales arm B for `share` of the traffic, moves the share once its replicas serve, then runs `then`. */
  goTo(share: number, reason: string, then: () => void): void {
    const targets = this.stablePools.map((p, j) => Math.min(this.armPools[j].size, Math.max(1, Math.ceil(share * p.serving * this.headroom - 1e-9))));
    this.armPools.forEach((p, j) => p.scaleTo(Math.max(p.spec, targets[j]), reason));
    this.waiting = { share, targets, then };
    this.onReady();
  }

  /** Rolls back: no traffic to arm B, its replicas drained. */
  rollBack(reason: string): void {
    this.route.share = 0;
    this.armPools.forEach((p) => p.scaleTo(0, reason));
  }

  private onReady(): void {
    const w = this.waiting;
    if (!w || !this.armPools.every((p, j) => p.serving >= w.targets[j])) return;
    this.waiting = null;
    this.route.share = w.share;
    w.then();
  }
}

/**
 * Bakes a canary step is held for without a verdict before it is rolled back. A bake whose canary
 * completed fewer than min_requests requests is no verdict, and no verdict is not a pass: the step
 * is held (its share kept, its requests still counted) and judged again after another bake, as
 * Flagger halts advancement on a check without data and rolls back after `threshold` failed
 * checks (5 in its examples). Promoting instead let a version that never answered take all the
 * traffic: four steps of 0 canary requests, then 59% of requests stuck in flight at the end.
 */
export const CANARY_MAX_BAKES_WITHOUT_VERDICT = 5;

/**
 * A canary or A/B deploy of a model's new version on its arm B replicas. A/B holds its share for
 * the rest of the run; a canary walks its steps (runCanary).
 */
export function startVersionDeploy(ctx: ControlContext, d: VersionSpec, index: number, where: string, tallies: ArmTallies): DeployRecord {
  const fleet = ctx.index.fleet;
  if (!fleet) throw new UserError(`${where}: canary and A/B deploys need a fleet scenario`);
  const m = fleet.served.findIndex((s) => s.name === d.model);
  if (m < 0) throw new UserError(`${where}.model: expected a served model (${listNames(fleet.served.map((s) => s.name))}), got "${excerpt(d.model)}"`);
  const served = fleet.served[m];
  const armPools = fleet.armClusters[d.model].map((c) => ctx.poolOf(c, 0, `gpu:${d.model}@b`));
  const stablePools = fleet.gpuClusters.filter((c) => c.served === served).map((c) => ctx.poolOf(c, 0, `gpu:${d.model}`));
  const arm = new VersionArm(armPools, stablePools, fleet.pipeline.models[m].arm!, d.replica_headroom);
  tallies.totals[d.model] = [newTally(), newTally()];
  const record: DeployRecord = { index, kind: d.kind, target: `gpu:${d.model}`, start_s: d.at_s, end_s: null, outcome: d.kind === 'ab' ? 'running' : 'in_progress' };
  if (d.kind === 'ab') {
    ctx.at(d.at_s, () => arm.goTo(d.share, `A/B: arm B for ${d.share * 100}% of users`, () => {}));
    return record;
  }
  const slo = d.slo ?? { e2e_p99_ms: served.spec.slo?.e2e_p99_ms, ttft_p99_ms: served.spec.slo?.ttft_p99_ms, error_rate: 0.01 };
  Object.assign(record, { steps: [], rolled_back_at_step: null, rolled_back_at_share: null });
  runCanary({ ctx, d, m, arm, stablePools, tallies, slo, record });
  return record;
}

interface CanaryRun {
  ctx: ControlContext;
  d: CanarySpec;
  m: number;
  arm: VersionArm;
  stablePools: ReplicaPool[];
  tallies: ArmTallies;
  slo: Slo;
  record: DeployRecord;
}

/**
 * A canary's steps: each step's share is switched on once arm B has its replicas, and judged at
 * the end of each bake against the SLO. A breach rolls it back; a pass moves to the next step, or
 * promotes it after the last; too few requests holds the step for another bake, and rolls it back
 * after CANARY_MAX_BAKES_WITHOUT_VERDICT. A step held when the run ends leaves the outcome
 * in_progress, its record's verdict too_few_requests over all its bakes.
 */
function runCanary(c: CanaryRun): void {
  const { ctx, d, m, arm, stablePools, tallies, record } = c;
  const now_s = () => ctx.sim.now_ms / 1000;
  const rollBack = (j: number, why: string) => {
    tallies.endStep(m);
    arm.rollBack(`canary rolled back at step ${j + 1} (${d.steps[j] * 100}%): ${why}`);
    Object.assign(record, { rolled_back_at_step: j, rolled_back_at_share: d.steps[j], outcome: 'rolled_back', end_s: now_s() });
  };
  const bake = (j: number, start_s: number, n: number) => {
    const step = judgeStep(d, c.slo, j, start_s, now_s(), tallies.stepSoFar(m));
    // One record per step: a held step's is replaced by its judgement over all its bakes so far.
    if (record.steps!.at(-1)?.step === j) record.steps!.pop();
    record.steps!.push(step);
    if (step.verdict === 'fail') return rollBack(j, step.breached!.join('; '));
    if (step.verdict === 'too_few_requests') {
      if (n < CANARY_MAX_BAKES_WITHOUT_VERDICT) return ctx.at(start_s + (n + 1) * d.bake_s, () => bake(j, start_s, n + 1));
      return rollBack(j, `no verdict after ${n} bakes of ${d.bake_s} s (${step.canary.requests} of ${d.min_requests} canary requests completed)`);
    }
    tallies.endStep(m);
    if (j + 1 < d.steps.length) return runStep(j + 1);
    // Promoted: the new version serves everything; the old replicas drain.
    if (d.steps[j] >= 1) {
      stablePools.forEach((p, k) => {
        p.scaleTo(0, 'canary promoted: old version drained');
        ctx.handOver(p, arm.armPools[k]);
      });
    }
    Object.assign(record, { outcome: 'completed', end_s: now_s() });
  };
  const runStep = (j: number) => {
    arm.goTo(d.steps[j], `canary step ${j + 1}: ${d.steps[j] * 100}%`, () => {
      const start_s = now_s();
      tallies.startStep(m);
      ctx.at(start_s + d.bake_s, () => bake(j, start_s, 1));
    });
  };
  ctx.at(d.at_s, () => runStep(0));
}

type Slo = { e2e_p99_ms?: number; ttft_p99_ms?: number; error_rate?: number };

/** A canary step's figures per arm and its verdict against the SLO (too few requests is no verdict: the step is held, runCanary). */
function judgeStep(d: CanarySpec, slo: Slo, j: number, start_s: number, end_s: number, [stable, canary]: [ArmTally, ArmTally]): RolloutStepRecord {
  const c = summarise(canary);
  const errorLimit = slo.error_rate ?? 0.01;
  const breached: string[] = [];
  if (slo.e2e_p99_ms !== undefined && c.e2e_p99_ms !== null && c.e2e_p99_ms > slo.e2e_p99_ms) breached.push(`e2e p99 ${Math.round(c.e2e_p99_ms)} ms > ${slo.e2e_p99_ms} ms`);
  if (slo.ttft_p99_ms !== undefined && c.ttft_p99_ms !== null && c.ttft_p99_ms > slo.ttft_p99_ms) breached.push(`TTFT p99 ${Math.round(c.ttft_p99_ms)} ms > ${slo.ttft_p99_ms} ms`);
  if (c.error_rate > errorLimit) breached.push(`error rate ${c.error_rate.toFixed(4)} > ${errorLimit}`);
  const verdict: RolloutStepRecord['verdict'] = canary.requests < d.min_requests ? 'too_few_requests' : breached.length > 0 ? 'fail' : 'pass';
  return { step: j, share: d.steps[j], start_s, end_s, canary: c, stable: summarise(stable), verdict, ...(breached.length ? { breached } : {}) };
}

function summarise(t: ArmTally): RolloutStepRecord['canary'] {
  return { requests: t.requests, error_rate: t.requests > 0 ? t.failed / t.requests : 0, e2e_p99_ms: t.e2e.quantile(0.99), ttft_p99_ms: t.ttft.quantile(0.99) };
}
