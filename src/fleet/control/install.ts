import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import type { Simulator } from '../../engine/sim.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import type { Outcome } from '../../metrics/outcomes.ts';
import type { AutoscalerSpec, ControlSpec, DeploySpec } from './schema.ts';
import type { ArrivalsSpec } from '../../workload/schema.ts';
import type { FleetSpec } from '../schema.ts';
import { RateProfile } from '../../workload/profile.ts';
import type { BuiltFleet } from '../llm/build.ts';
import type { GpuCluster } from '../llm/replicas.ts';
import { TIER_KINDS } from '../llm/stages.ts';
import type { ServiceTier } from '../stations/tier.ts';
import { scaledCount } from '../../util/scaled-count.ts';
import { countOf, gpuTargetMatches } from './alloc.ts';
import { ReplicaPool } from './gpu-pool.ts';
import { Hpa } from './hpa.ts';
import type { ArmTally, DeployRecord, RolloutStepRecord, ScalingEvent } from './record.ts';
import { TierPool } from './tier-pool.ts';

/** A pool the bill and the report know about: its component (for the bill) and its display name. */
export interface MeteredPool {
  /** Bill component: a tier kind (`chat_api`), `gpu:<model>` or `gpu:<model>@b` (arm B). */
  billComponent: string;
  name: string;
  pool: ReplicaPool | TierPool;
  gpu?: GpuCluster;
}

/** What the control plane did during a run (kept on RunResult.control). */
export interface ControlRecord {
  spec: ControlSpec;
  from_ms: number;
  pools: MeteredPool[];
  events: ScalingEvent[];
  series: { t_s: number[]; spec: Record<string, number[]>; serving: Record<string, number[]> };
  deploys: DeployRecord[];
  /** A/B and canary arms over the measured period, by model: [stable, arm B]. */
  armTotals: Record<string, [ArmTally, ArmTally]>;
  /** Closes the meters at the end of the run. */
  finish(end_ms: number): void;
}

const newTally = (): ArmTally => ({ requests: 0, completed: 0, failed: 0, e2e: new LatencyStats(), ttft: new LatencyStats() });

/** What the control plane reads of the scenario. */
export interface ControlScenario {
  control?: ControlSpec;
  fleet?: FleetSpec;
  workload: { arrivals: ArrivalsSpec };
  duration_s: number;
  warmup_s: number;
  window_s?: number;
}

/**
 * Installs the scenario's control plane on the simulator: one periodic control loop per
 * autoscaled component (and region), metric sampling, and the deploys' timelines. Call after the
 * fleet is built and before the run starts (like installFaults).
 */
export function installControl(sim: Simulator, sc: ControlScenario, parts: { fleet?: BuiltFleet; tiers?: ServiceTier[] }): ControlRecord | undefined {
  const spec = sc.control;
  if (!spec) return undefined;
  const k = spec.time_compression;
  const fl = parts.fleet;
  const f = sc.fleet;
  const from_ms = sc.warmup_s * 1000;
  const events: ScalingEvent[] = [];
  const pools: MeteredPool[] = [];
  const regionNames = fl ? fl.regionNames : [''];
  const interval_ms = (spec.interval_s * 1000) / k;

  // GPU clusters get one pool each, shared by autoscalers and deploys.
  const gpuPools = new Map<GpuCluster, ReplicaPool>();
  const loadSeconds = (c: GpuCluster) => {
    const gb = c.served.spec.weights_gb ?? (c.served.step.weightBytesPerGpu * c.served.step.gpus) / 1e9;
    return gb / (f?.s3.load_gb_per_s ?? 2);
  };
  const poolOf = (c: GpuCluster, boot_s: number, bill: string): ReplicaPool => {
    let p = gpuPools.get(c);
    if (!p) {
      const fixed = bill.endsWith('@b') ? 0 : c.served.replicasPerRegion[c.region];
      p = new ReplicaPool(sim, c, `gpu:${c.name}`, fixed, events, from_ms, (boot_s + loadSeconds(c)) / k);
      gpuPools.set(c, p);
      pools.push({ billComponent: bill, name: `gpu:${c.name}`, pool: p, gpu: c });
    }
    return p;
  };
  const clustersOf = (target: string, where: string): GpuCluster[] => {
    if (!fl) throw new UserError(`${where}: GPU targets need a fleet scenario`);
    const cs = fl.gpuClusters.filter((c) => gpuTargetMatches(target, c.served.name, regionNames[c.region]));
    if (cs.length === 0) throw new UserError(`${where}.target: expected a GPU cluster (${listNames([...new Set(fl.gpuClusters.map((c) => `gpu:${c.served.name}`))])}), optionally gpu:model/region, got "${excerpt(target)}"`);
    return cs;
  };
  const tierList = fl
    ? fl.tiers.map((tier, i) => ({ tier, kind: TIER_KINDS[i % TIER_KINDS.length] as string, region: regionNames[Math.floor(i / TIER_KINDS.length)] }))
    : (parts.tiers ?? []).map((tier) => ({ tier, kind: tier.name, region: '' }));
  const tiersOf = (target: string, where: string) => {
    const [a, b] = target.split('/');
    const m = tierList.filter((t) => (b === undefined ? t.kind === a : t.region === a && t.kind === b));
    if (m.length === 0) throw new UserError(`${where}.target: expected a tier or station (${listNames([...new Set(tierList.map((t) => t.kind))])}) or gpu:model, optionally region/name, got "${excerpt(target)}"`);
    return m;
  };

  const scheduleFloor = (a: AutoscalerSpec, fixed: number, lo: number, hi: number): ((t_ms: number) => number) => {
    const s = a.schedule;
    if (!s) return () => lo;
    const arr = sc.workload.arrivals;
    const prof = s.profile ?? (arr.kind !== 'trace' ? arr.profile : undefined);
    if (!prof) throw new UserError(`control.autoscalers: ${excerpt(a.target)}: schedule needs a profile (the workload has none)`);
    const rp = new RateProfile(prof);
    return (t_ms) => Math.max(lo, Math.min(hi, Math.ceil((fixed * rp.factorAt(t_ms + (s.lead_s * 1000) / k) * s.headroom) / rp.maxFactor - 1e-9)));
  };

  // ---- autoscalers ----
  spec.autoscalers.forEach((a, ai) => {
    const where = `control.autoscalers[${ai}]`;
    const mk = () => new Hpa(a, (a.metrics_delay_s * 1000) / k, interval_ms, (a.scale_up_window_s * 1000) / k, (a.scale_down_window_s * 1000) / k);
    // The metric is averaged over the loop interval from 30 samples (metrics-server style).
    const sample_ms = interval_ms / 30;
    if (a.target.startsWith('gpu:')) {
      if (a.metric !== 'queue' && a.metric !== 'kv') throw new UserError(`${where}.metric: GPU clusters scale on queue or kv, got ${a.metric}`);
      for (const c of clustersOf(a.target, where)) {
        const share = f!.regions[regionNames[c.region]].capacity_share;
        const pool = poolOf(c, a.boot_s, `gpu:${c.served.name}`);
        const lo = a.min !== undefined ? Math.min(pool.size, scaledCount(a.min, share, f!.scale)) : 1;
        const hi = Math.min(pool.size, a.max !== undefined ? scaledCount(a.max, share, f!.scale) : c.served.replicasPerRegion[c.region]);
        const floor = scheduleFloor(a, c.served.replicasPerRegion[c.region], lo, hi);
        const hpa = mk();
        const metric = a.metric === 'queue'
          ? () => {
              let w = 0, n = 0;
              for (let i = 0; i < pool.size; i++) if (pool.isOn(i)) (w += c.replicas[i].waiting, n++);
              return n > 0 ? w / n : 0;
            }
          : () => {
              let u = 0, n = 0;
              for (let i = 0; i < pool.size; i++) if (pool.isOn(i)) (u += c.replicas[i].kvUsedFraction(), n++);
              return n > 0 ? u / n : 0;
            };
        const sampler = sim.on(() => {
          hpa.sample(sim.now_ms, metric());
          sim.at(sim.now_ms + sample_ms, sampler, 0);
        });
        sim.at(sample_ms, sampler, 0);
        const tick = sim.on(() => {
          const lo2 = floor(sim.now_ms);
          const d = hpa.decide(sim.now_ms, pool.serving, pool.spec, lo2, hi);
          if (d.n !== pool.spec) pool.scaleTo(d.n, d.reason);
          pool.checkDrains();
          sim.at(sim.now_ms + interval_ms, tick, 0);
        });
        sim.at(interval_ms, tick, 0);
        // Scheduled scaling from the start: the floor at t = 0.
        const f0 = floor(0);
        if (f0 > pool.spec) pool.scaleTo(f0, 'schedule');
      }
    } else {
      if (a.metric !== 'utilization' && a.metric !== 'concurrency') throw new UserError(`${where}.metric: tiers scale on utilization or concurrency, got ${a.metric}`);
      for (const t of tiersOf(a.target, where)) {
        const tierSpec = fl ? (f as unknown as Record<string, { instances: number; concurrency: number }>)[t.kind] : undefined;
        const conc = tierSpec?.concurrency ?? 1;
        const share = fl ? f!.regions[t.region].capacity_share : 1;
        const sc1 = (n: number) => (fl ? scaledCount(n, share, f!.scale) : n);
        const fixed = Math.max(1, Math.round(t.tier.station.servers / conc));
        const lo = a.min !== undefined ? sc1(a.min) : 1;
        const hi = a.max !== undefined ? sc1(a.max) : fixed;
        const initial = Math.max(lo, Math.min(hi, a.initial !== undefined ? sc1(a.initial) : fixed));
        const pool = new TierPool(sim, t.tier, t.tier.name, conc, fixed, initial, a.boot_s / k, events, from_ms);
        pools.push({ billComponent: t.kind, name: t.tier.name, pool });
        const floor = scheduleFloor(a, fixed, lo, hi);
        const hpa = mk();
        const st = t.tier.station;
        const metric = a.metric === 'utilization' ? () => (st.servers > 0 ? st.busy / st.servers : 1) : () => (pool.ready > 0 ? (st.busy + st.qlen) / pool.ready : st.busy + st.qlen);
        const sampler = sim.on(() => {
          hpa.sample(sim.now_ms, metric());
          sim.at(sim.now_ms + sample_ms, sampler, 0);
        });
        sim.at(sample_ms, sampler, 0);
        const tick = sim.on(() => {
          const d = hpa.decide(sim.now_ms, pool.ready, pool.spec, floor(sim.now_ms), hi);
          if (d.n !== pool.spec) pool.scaleTo(d.n, d.reason);
          sim.at(sim.now_ms + interval_ms, tick, 0);
        });
        sim.at(interval_ms, tick, 0);
        const f0 = floor(0);
        if (f0 > pool.spec) pool.scaleTo(f0, 'schedule');
      }
    }
  });

  // ---- deploys ----
  const deploys: DeployRecord[] = [];
  const armTotals: Record<string, [ArmTally, ArmTally]> = {};
  const stepTallies: Record<number, [ArmTally, ArmTally]> = {};
  spec.deploys.forEach((d, di) => {
    const where = `control.deploys[${di}]`;
    if (d.kind === 'rolling') deploys.push(rolling(d, di, clustersOf(d.target, where)));
    else if (d.kind === 'blue-green') deploys.push(blueGreen(d, di, clustersOf(d.target, where)));
    else deploys.push(versionArm(d, di, where));
  });
  if (Object.keys(armTotals).length > 0 && fl) {
    const names = fl.served.map((s) => s.name);
    fl.pipeline.armObserver = {
      firstToken(m, arm, ttft) {
        stepTallies[m]?.[arm].ttft.add(ttft);
        if (sim.now_ms >= from_ms) armTotals[names[m]]?.[arm].ttft.add(ttft);
      },
      finish(m, arm, outcome: Outcome, e2e) {
        const add = (t: ArmTally | undefined) => {
          if (!t) return;
          t.requests++;
          if (outcome === 'completed') (t.completed++, t.e2e.add(e2e));
          else t.failed++;
        };
        add(stepTallies[m]?.[arm]);
        if (sim.now_ms >= from_ms) add(armTotals[names[m]]?.[arm]);
      },
    };
  }

  function rolling(d: Extract<DeploySpec, { kind: 'rolling' }>, index: number, clusters: GpuCluster[]): DeployRecord {
    const rec: DeployRecord = { index, kind: d.kind, target: d.target, start_s: d.at_s, end_s: null, outcome: 'in_progress', restarted: 0, min_serving_fraction: 1 };
    const ps = clusters.map((c) => poolOf(c, d.boot_s, `gpu:${c.served.name}`));
    let finished = 0;
    ps.forEach((p) => {
      const V = 1;
      let N = 0, maxU = 0, maxS = 0;
      const restart = new Uint8Array(p.size);
      let done = false;
      const step = () => {
        if (done) return;
        const on = () => { let n = 0; for (let i = 0; i < p.size; i++) if (p.isOn(i)) n++; return n; };
        const nNew = () => { let n = 0; for (let i = 0; i < p.size; i++) if (p.version[i] === V && (p.isOn(i) || p.state[i] === 1)) n++; for (let i = 0; i < p.size; i++) if (restart[i]) n++; return n; };
        const oldOn = () => { const xs: number[] = []; for (let i = 0; i < p.size; i++) if (p.isOn(i) && p.version[i] !== V) xs.push(i); return xs; };
        // Restarted replicas that are off: boot them with the new version.
        for (let i = 0; i < p.size; i++) if (restart[i] && p.isOff(i)) (restart[i] = 0, p.boot(i, V), rec.restarted!++);
        // A. surged new replicas are serving: retire old ones (no restart) back to N.
        let excess = on() - N;
        for (const i of oldOn()) if (excess > 0) (p.drain(i), excess--);
        // C. surge: start new replicas from spare ones.
        let nonOff = p.size - p.off;
        for (let i = 0; i < p.size && nonOff < N + maxS && nNew() < N; i++) if (p.isOff(i) && !restart[i]) (p.boot(i, V), nonOff++);
        // B. restart old replicas within the unavailability budget.
        let canDown = on() - (N - maxU);
        for (const i of oldOn()) {
          if (canDown <= 0 || nNew() >= N) break;
          restart[i] = 1;
          p.drain(i);
          canDown--;
        }
        rec.min_serving_fraction = Math.min(rec.min_serving_fraction!, on() / N);
        if (oldOn().length === 0 && on() >= N && nNew() >= N && !restart.some((x) => x)) {
          done = true;
          rec.end_s = Math.max(rec.end_s ?? 0, sim.now_ms / 1000);
          if (++finished === ps.length) rec.outcome = 'completed';
        }
      };
      const prev = p.onChange;
      p.onChange = () => (prev?.(), step());
      at(d.at_s, () => {
        N = p.serving;
        maxU = countOf(d.max_unavailable, N, false);
        maxS = countOf(d.max_surge, N, true);
        if (maxU === 0 && maxS === 0) throw new UserError(`control.deploys[${index}]: max_unavailable and max_surge are both 0 for ${N} replicas: the update could never proceed`);
        p.logEvent(N, N, `rolling update starts (max_unavailable ${maxU}, max_surge ${maxS})`);
        step();
      });
    });
    return rec;
  }

  function blueGreen(d: Extract<DeploySpec, { kind: 'blue-green' }>, index: number, clusters: GpuCluster[]): DeployRecord {
    const rec: DeployRecord = { index, kind: d.kind, target: d.target, start_s: d.at_s, end_s: null, outcome: 'in_progress', switched_s: null };
    const ps = clusters.map((c) => poolOf(c, d.boot_s, `gpu:${c.served.name}`));
    const blue: number[][] = ps.map(() => []);
    const green: number[][] = ps.map(() => []);
    let started = false;
    const check = () => {
      if (!started || rec.switched_s !== null) return;
      if (!ps.every((p, j) => green[j].every((i) => p.state[i] === 4))) return;
      rec.switched_s = sim.now_ms / 1000;
      ps.forEach((p, j) => {
        green[j].forEach((i) => p.release(i));
        blue[j].forEach((i) => p.drain(i));
        p.logEvent(blue[j].length, green[j].length, 'blue-green switch');
      });
      rec.end_s = rec.switched_s;
      rec.outcome = 'completed';
    };
    ps.forEach((p) => {
      const prev = p.onChange;
      p.onChange = () => (prev?.(), check());
    });
    at(d.at_s, () => {
      started = true;
      ps.forEach((p, j) => {
        for (let i = 0; i < p.size; i++) if (p.isOn(i)) blue[j].push(i);
        for (let i = 0; i < p.size && green[j].length < blue[j].length; i++) if (p.isOff(i)) (green[j].push(i), p.boot(i, 1, 0, true));
        p.logEvent(blue[j].length, blue[j].length + green[j].length, 'blue-green: green set boots');
      });
    });
    return rec;
  }

  function versionArm(d: Extract<DeploySpec, { kind: 'canary' | 'ab' }>, index: number, where: string): DeployRecord {
    if (!fl) throw new UserError(`${where}: canary and A/B deploys need a fleet scenario`);
    const m = fl.served.findIndex((s) => s.name === d.model);
    if (m < 0) throw new UserError(`${where}.model: expected a served model (${listNames(fl.served.map((s) => s.name))}), got "${excerpt(d.model)}"`);
    const served = fl.served[m];
    const arm = fl.pipeline.models[m].arm!;
    const armPools = fl.armClusters[d.model].map((c) => poolOf(c, 0, `gpu:${d.model}@b`));
    const stable = fl.gpuClusters.filter((c) => c.served === served);
    const stablePools = stable.map((c) => poolOf(c, 0, `gpu:${d.model}`));
    armTotals[d.model] = [newTally(), newTally()];
    const rec: DeployRecord = { index, kind: d.kind, target: `gpu:${d.model}`, start_s: d.at_s, end_s: null, outcome: d.kind === 'ab' ? 'running' : 'in_progress' };
    const want = (share: number) => stablePools.map((p, j) => Math.min(armPools[j].size, Math.max(1, Math.ceil(share * p.serving * d.replica_headroom - 1e-9))));
    let waiting: { share: number; targets: number[]; then: () => void } | null = null;
    const onReady = () => {
      if (!waiting) return;
      if (!armPools.every((p, j) => p.serving >= waiting!.targets[j])) return;
      const w = waiting;
      waiting = null;
      arm.share = w.share;
      w.then();
    };
    armPools.forEach((p) => {
      const prev = p.onChange;
      p.onChange = () => (prev?.(), onReady());
    });
    const goTo = (share: number, reason: string, then: () => void) => {
      const targets = want(share);
      armPools.forEach((p, j) => p.scaleTo(Math.max(p.spec, targets[j]), reason));
      waiting = { share, targets, then };
      onReady();
    };
    if (d.kind === 'ab') {
      at(d.at_s, () => goTo(d.share, `A/B: arm B for ${d.share * 100}% of users`, () => {}));
      return rec;
    }
    const slo = d.slo ?? { e2e_p99_ms: served.spec.slo?.e2e_p99_ms, ttft_p99_ms: served.spec.slo?.ttft_p99_ms, error_rate: 0.01 };
    const errLimit = slo.error_rate ?? 0.01;
    rec.steps = [];
    rec.rolled_back_at_step = null;
    rec.rolled_back_at_share = null;
    const summarise = (t: ArmTally) => ({
      requests: t.requests,
      error_rate: t.requests > 0 ? t.failed / t.requests : 0,
      e2e_p99_ms: t.e2e.quantile(0.99),
      ttft_p99_ms: t.ttft.quantile(0.99),
    });
    const runStep = (j: number) => {
      const share = d.steps[j];
      goTo(share, `canary step ${j + 1}: ${share * 100}%`, () => {
        const start_s = sim.now_ms / 1000;
        stepTallies[m] = [newTally(), newTally()];
        at(start_s + d.bake_s, () => {
          const [a, b] = stepTallies[m];
          delete stepTallies[m];
          const cb = summarise(b);
          const breached: string[] = [];
          if (slo.e2e_p99_ms !== undefined && cb.e2e_p99_ms !== null && cb.e2e_p99_ms > slo.e2e_p99_ms) breached.push(`e2e p99 ${Math.round(cb.e2e_p99_ms)} ms > ${slo.e2e_p99_ms} ms`);
          if (slo.ttft_p99_ms !== undefined && cb.ttft_p99_ms !== null && cb.ttft_p99_ms > slo.ttft_p99_ms) breached.push(`TTFT p99 ${Math.round(cb.ttft_p99_ms)} ms > ${slo.ttft_p99_ms} ms`);
          if (cb.error_rate > errLimit) breached.push(`error rate ${cb.error_rate.toFixed(4)} > ${errLimit}`);
          const verdict: RolloutStepRecord['verdict'] = b.requests < d.min_requests ? 'too_few_requests' : breached.length > 0 ? 'fail' : 'pass';
          rec.steps!.push({ step: j, share, start_s, end_s: sim.now_ms / 1000, canary: cb, stable: summarise(a), verdict, ...(breached.length ? { breached } : {}) });
          if (verdict === 'fail') {
            arm.share = 0;
            armPools.forEach((p) => p.scaleTo(0, `canary rolled back at step ${j + 1} (${share * 100}%): ${breached.join('; ')}`));
            rec.rolled_back_at_step = j;
            rec.rolled_back_at_share = share;
            rec.outcome = 'rolled_back';
            rec.end_s = sim.now_ms / 1000;
          } else if (j + 1 < d.steps.length) runStep(j + 1);
          else {
            // Promoted: the new version serves everything; the old replicas drain.
            if (share >= 1) stablePools.forEach((p) => p.scaleTo(0, 'canary promoted: old version drained'));
            rec.outcome = 'completed';
            rec.end_s = sim.now_ms / 1000;
          }
        });
      });
    };
    at(d.at_s, () => runStep(0));
    return rec;
  }

  function at(t_s: number, fn: () => void): void {
    const t = Math.max(t_s * 1000, sim.now_ms);
    sim.at(t, sim.on(fn), 0);
  }

  // ---- replicas over time: one sample per window ----
  const window_ms = (sc.window_s ?? Math.max(1, sc.duration_s / 100)) * 1000;
  const series: ControlRecord['series'] = { t_s: [], spec: {}, serving: {} };
  const sampleSeries = sim.on(() => {
    series.t_s.push(sim.now_ms / 1000);
    for (const p of pools) {
      (series.spec[p.name] ??= []).push(p.pool.spec);
      (series.serving[p.name] ??= []).push(p.pool instanceof TierPool ? p.pool.ready : p.pool.serving);
    }
    if (sim.now_ms + window_ms <= sc.duration_s * 1000) sim.at(sim.now_ms + window_ms, sampleSeries, 0);
  });
  sim.at(0, sampleSeries, 0);

  return {
    spec,
    from_ms,
    pools,
    events,
    series,
    deploys,
    armTotals,
    finish(end_ms) {
      for (const p of pools) p.pool.meter.advance(end_ms);
    },
  };
}
