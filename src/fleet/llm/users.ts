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

/** Simulated users at most, whatever the population: each stands for a stratum of the real ones. */
export const MAX_SIMULATED_USERS = 2_000_000;

export class UserPopulation {
  /**
   * Walker's alias table (Vose's construction), interleaved: entry j is [keep probability of j,
   * alias of j]. A draw reads one entry: one cache miss however many users there are, where a
   * guide table and a CDF scan over two million users cost two dependent misses (measured:
   * 330-350 ns against 450-520 ns per draw with the cache cold).
   */
  private readonly table: Float64Array;
  /** Share of all activity held by the top user (for topShare). */
  private readonly top: number;
  readonly count: number;

  constructor(fullCount: number, zipf_s: number, scale: number, private readonly rng: Rng, maxUsers = MAX_SIMULATED_USERS) {
    const m = (this.count = Math.max(1, Math.min(maxUsers, Math.round(fullCount * scale))));
    const stride = fullCount / m;
    const w = new Float64Array(m);
    let total = 0;
    for (let j = 0; j < m; j++) total += w[j] = zipfMass(j * stride + 1, (j + 1) * stride + 1, zipf_s) / stride;
    this.top = w[0] / total;
    // Vose: weights scaled to mean 1; each under-full entry is topped up by an over-full one.
    const table = (this.table = new Float64Array(2 * m));
    const small = new Int32Array(m), large = new Int32Array(m);
    let ns = 0, nl = 0;
    for (let j = 0; j < m; j++) {
      w[j] = (w[j] * m) / total;
      if (w[j] < 1) small[ns++] = j;
      else large[nl++] = j;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns], l = large[nl - 1];
      table[2 * s] = w[s];
      table[2 * s + 1] = l;
      w[l] -= 1 - w[s];
      if (w[l] < 1) {
        nl--;
        small[ns++] = l;
      }
    }
    // what is left is full up to rounding
    while (nl > 0) table[2 * large[--nl]] = 1;
    while (ns > 0) table[2 * small[--ns]] = 1;
  }

  /** A user drawn in proportion to activity, O(1): one uniform picks the entry, a second keeps it or takes its alias. */
  draw(): number {
    const j = Math.floor(this.rng() * this.count);
    return this.rng() < this.table[2 * j] ? j : this.table[2 * j + 1];
  }

  /** Share of all requests made by the most active user. */
  topShare(): number {
    return this.top;
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
