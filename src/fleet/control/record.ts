/** A change of a component's instance count, and why. */
export interface ScalingEvent {
  t_s: number;
  component: string;
  from: number;
  to: number;
  reason: string;
}

/** Time-weighted instance count of one component (billed: booting, serving and draining instances). */
export class Meter {
  private last_ms = 0;
  private count: number;
  /** instance-ms after `from_ms` */
  area = 0;
  /** serving-instance-ms after `from_ms` */
  servingArea = 0;
  /**
   * Instances of the fixed fleet bought by commitment (reserved, savings plan, capacity block):
   * paid whether they run or not, so the autoscaled bill keeps them and scales only the rest.
   */
  committed = 0;
  /** instance-ms above `committed` after `from_ms`: the instances bought by the hour (on-demand, spot) */
  aboveCommittedArea = 0;
  private serving: number;
  min: number;
  max: number;
  constructor(
    readonly component: string,
    /** Instances of the fixed fleet this component is billed against (simulated count). */
    readonly fixed: number,
    count: number,
    private readonly from_ms: number,
  ) {
    this.count = count;
    this.serving = count;
    this.min = count;
    this.max = count;
  }
  /** Billed and serving counts from now on. */
  set(now_ms: number, billed: number, serving: number): void {
    this.advance(now_ms);
    this.count = billed;
    this.serving = serving;
    if (now_ms >= this.from_ms) {
      this.min = Math.min(this.min, serving);
      this.max = Math.max(this.max, billed);
    } else {
      // Before the measured window the extremes are whatever holds when it opens: kept at the
      // count of t = 0, an A/B arm started before the warm-up (0 -> 20 replicas) reported a max
      // of 0 beside a mean of 20.
      this.min = serving;
      this.max = billed;
    }
  }
  advance(now_ms: number): void {
    const from = Math.max(this.last_ms, this.from_ms);
    if (now_ms > from) {
      this.area += this.count * (now_ms - from);
      this.servingArea += this.serving * (now_ms - from);
      this.aboveCommittedArea += Math.max(0, this.count - this.committed) * (now_ms - from);
    }
    this.last_ms = Math.max(this.last_ms, now_ms);
  }
  get billed(): number {
    return this.count;
  }
  get servingNow(): number {
    return this.serving;
  }
}

/** Per-arm tallies of one step (or of a whole experiment). */
export interface ArmTally {
  requests: number;
  completed: number;
  failed: number;
  e2e: import('../../metrics/latency.ts').LatencyStats;
  ttft: import('../../metrics/latency.ts').LatencyStats;
}

export interface RolloutStepRecord {
  step: number;
  share: number;
  start_s: number;
  end_s: number;
  canary: { requests: number; error_rate: number; e2e_p99_ms: number | null; ttft_p99_ms: number | null };
  stable: { requests: number; error_rate: number; e2e_p99_ms: number | null; ttft_p99_ms: number | null };
  verdict: 'pass' | 'fail' | 'too_few_requests';
  breached?: string[];
}

export interface DeployRecord {
  index: number;
  kind: string;
  target: string;
  start_s: number;
  end_s: number | null;
  outcome: 'completed' | 'rolled_back' | 'in_progress' | 'running';
  /** Rolling update: replicas restarted, and the least serving capacity seen (fraction of desired). */
  restarted?: number;
  min_serving_fraction?: number;
  /** Blue-green: when traffic switched to the new set. */
  switched_s?: number | null;
  /** Canary: every step's per-arm figures and verdict; the step rolled back at. */
  steps?: RolloutStepRecord[];
  rolled_back_at_step?: number | null;
  rolled_back_at_share?: number | null;
  /** A/B: per-arm latency, errors and cost. */
  arms?: Record<string, { requests: number; error_rate: number; e2e_p50_ms: number | null; e2e_p99_ms: number | null; ttft_p99_ms: number | null; replica_hours: number; monthly_usd: number; usd_per_1k_requests: number | null }>;
}
