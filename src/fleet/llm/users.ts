import type { Rng } from '../../engine/random.ts';

/**
 * A user population with Zipf-skewed activity (the user of rank i is active in proportion to
 * i^-s). Under fleet sampling (scale k < 1) each simulated user stands for a stratum of 1/k
 * consecutive ranks and is active at the stratum's mean rate, so the simulated users have the
 * full fleet's per-user rates (averaged within strata) and per-user limits bite as they would.
 * A single user cannot keep its own rate in a 1% sample: its rate may exceed the sample's.
 */
/**
 * Sum of i^-s over integer ranks in [a, b): exact below rank 1000, where the terms differ most,
 * and by the midpoint rule on the integral above it (relative error under 1e-6 there).
 */
function zipfMass(a: number, b: number, s: number): number {
  let sum = 0;
  let i = Math.ceil(a);
  const end = Math.ceil(b);
  for (; i < end && i < 1000; i++) sum += Math.pow(i, -s);
  if (i >= end) return sum;
  const lo = i - 0.5, hi = end - 0.5;
  return sum + (s === 1 ? Math.log(hi / lo) : (Math.pow(hi, 1 - s) - Math.pow(lo, 1 - s)) / (1 - s));
}

export class UserPopulation {
  private readonly cum: Float64Array;
  /** Guide table (Chen 1974): guide[k] is the first user whose cumulative weight reaches k/m. */
  private readonly guide: Int32Array;
  readonly count: number;

  constructor(fullCount: number, zipf_s: number, scale: number, private readonly rng: Rng, maxUsers = 2_000_000) {
    this.count = Math.max(1, Math.min(maxUsers, Math.round(fullCount * scale)));
    const stride = fullCount / this.count;
    this.cum = new Float64Array(this.count);
    let acc = 0;
    for (let j = 0; j < this.count; j++) {
      acc += zipfMass(j * stride + 1, (j + 1) * stride + 1, zipf_s) / stride;
      this.cum[j] = acc;
    }
    const m = this.count;
    this.guide = new Int32Array(m);
    for (let k = 0, j = 0; k < m; k++) {
      const target = (acc * k) / m;
      while (this.cum[j] <= target && j < m - 1) j++;
      this.guide[k] = j;
    }
  }

  /** A user drawn in proportion to activity: the guide table gives a start, a short scan finishes (O(1) expected). */
  draw(): number {
    const cum = this.cum;
    const r = this.rng();
    const u = r * cum[cum.length - 1];
    let j = this.guide[Math.floor(r * this.guide.length)];
    while (cum[j] <= u && j < cum.length - 1) j++;
    return j;
  }

  /** Share of all requests made by the most active user. */
  topShare(): number {
    return this.cum[0] / this.cum[this.cum.length - 1];
  }
}

/**
 * Per-user token and request limits per minute as token buckets (capacity = the per-minute
 * limit, refilled continuously), kept in typed arrays. A request that does not fit is refused
 * (HTTP 429) and consumes nothing.
 */
export class RateLimiter {
  /** Per user, interleaved so a check touches one cache line: [tokens, requests, last update ms, unused]. */
  private readonly state: Float64Array;
  private readonly tokPerMs: number;
  private readonly reqPerMs: number;
  /** Multiplies both limits (faults: a misconfigured limiter). Infinity disables limiting. */
  factor = 1;

  constructor(users: number, private readonly tokensPerMin: number, private readonly requestsPerMin: number) {
    this.state = new Float64Array(4 * users);
    for (let u = 0; u < users; u++) {
      this.state[4 * u] = tokensPerMin;
      this.state[4 * u + 1] = requestsPerMin;
    }
    this.tokPerMs = tokensPerMin / 60_000;
    this.reqPerMs = requestsPerMin / 60_000;
  }

  /** True if the user may send a request of `tokens` now (and charges it). */
  allow(user: number, tokens: number, now_ms: number): boolean {
    const f = this.factor;
    if (f === Infinity) return true;
    const st = this.state, i = 4 * user;
    const dt = now_ms - st[i + 2];
    st[i + 2] = now_ms;
    const tokCap = this.tokensPerMin * f;
    const reqCap = this.requestsPerMin * f;
    const tok = Math.min(tokCap, st[i] + dt * this.tokPerMs * f);
    const req = Math.min(reqCap, st[i + 1] + dt * this.reqPerMs * f);
    if (tok < tokens || req < 1) {
      st[i] = tok;
      st[i + 1] = req;
      return false;
    }
    st[i] = tok - tokens;
    st[i + 1] = req - 1;
    return true;
  }
}
