import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, linearStep, quantile, Recorder } from './helpers.ts';

const PROMPT = 300, OUTPUT = 60;
const OVERHEAD_MS = 5, PER_PREFILL_MS = 0.02, PER_SEQ_MS = 0.1, PER_CTX_MS = 0.0005;
const MAX_SEQS = 16;

/**
 * Poisson arrivals of two classes (share `highShare` at priority `highPriority`, the rest at
 * `lowPriority`) into one replica; the TTFT of each class's requests.
 */
function twoClasses(o: { rate_per_s: number; highShare: number; highPriority: number; lowPriority: number; n: number; seed: number }) {
  const sim = new Simulator();
  const rec = new Recorder();
  const step = linearStep({ overhead: OVERHEAD_MS, perPrefill: PER_PREFILL_MS, perSeq: PER_SEQ_MS, perCtx: PER_CTX_MS });
  const replica = new GpuReplica(sim, step, { ...BASE_CFG, max_num_seqs: MAX_SEQS }, rec);
  const rng = stream(o.seed, 'priority-test');
  const high: number[] = [];
  let invariantError = '';
  const arrive = sim.on((req) => {
    replica.submit(req, PROMPT, OUTPUT, -1, 0, null, high[req] ? o.highPriority : o.lowPriority);
    if (invariantError === '' && req % 50 === 0) {
      try { replica.checkInvariants(); } catch (e) { invariantError = (e as Error).message; }
    }
  });
  let t = 0;
  for (let i = 0; i < o.n; i++) {
    t += -Math.log(1 - rng()) * (1000 / o.rate_per_s);
    high.push(rng() < o.highShare ? 1 : 0);
    sim.at(t, arrive, rec.add(PROMPT, OUTPUT, t));
  }
  sim.run();
  // the first fifth is the warm-up: the queue builds from empty
  const ttft = (cls: number) => rec.reqs.filter((r, i) => i > o.n / 5 && high[i] === cls).map((r) => r.first - r.submit);
  return { high: ttft(1), low: ttft(0), rec, invariantError, stats: replica.stats() };
}

/** Two-sample Kolmogorov-Smirnov statistic. */
function ksStatistic(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q), y = [...b].sort((p, q) => p - q);
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

describe('priority classes on one replica (vLLM priority policy)', () => {
  // Capacity: a full batch of 16 decodes with ~330 tokens of context each takes about
  // 5 + 1.6 + 2.6 = 9.2 ms per step, 16 requests per 60 steps plus their prefills (16 x 6 ms):
  // roughly 25 requests/s. 40/s overloads it by about 60%; the high class (20%) alone is 8/s.
  const RATE = 40, N = 6000;
  // The unloaded TTFT: one prefill iteration of the prompt beside a full batch of decodes.
  const unloaded_ms = OVERHEAD_MS + PER_PREFILL_MS * PROMPT + PER_SEQ_MS * MAX_SEQS + PER_CTX_MS * MAX_SEQS * (PROMPT + OUTPUT);

  it('the high class keeps its TTFT near its unloaded value while the low class absorbs the queueing', () => {
    const r = twoClasses({ rate_per_s: RATE, highShare: 0.2, highPriority: 0, lowPriority: 1, n: N, seed: 3 });
    expect(r.invariantError).toBe('');
    expect(r.rec.errors).toEqual([]);
    expect(r.stats.preemptions).toBeGreaterThan(0); // a full batch of low-class sequences makes room
    // Near: the median within three unloaded TTFTs (the iteration in flight, a preemption, its own
    // prefill), the p90 within six; the low class waits seconds behind the growing queue.
    expect(quantile(r.high, 0.5)).toBeLessThan(3 * unloaded_ms);
    expect(quantile(r.high, 0.9)).toBeLessThan(6 * unloaded_ms);
    expect(quantile(r.low, 0.5)).toBeGreaterThan(50 * quantile(r.high, 0.5));
  });

  it('without priorities (FCFS) the same load delays both classes alike', () => {
    const r = twoClasses({ rate_per_s: RATE, highShare: 0.2, highPriority: 0, lowPriority: 0, n: N, seed: 3 });
    expect(quantile(r.high, 0.5)).toBeGreaterThan(50 * unloaded_ms);
  });

  it('equal priorities: both classes see the same TTFT distribution (two-sample KS, alpha = 0.001)', () => {
    // Both at priority 2: the priority queue is in use, with one level. Below capacity (20/s), so
    // the samples are many short independent-ish waits rather than one trend.
    const r = twoClasses({ rate_per_s: 20, highShare: 0.5, highPriority: 2, lowPriority: 2, n: N, seed: 5 });
    const n = r.high.length, m = r.low.length;
    // critical value c(alpha) sqrt((n + m) / (n m)), c(0.001) = 1.95
    const critical = 1.95 * Math.sqrt((n + m) / (n * m));
    expect(ksStatistic(r.high, r.low)).toBeLessThan(critical);
    // the test has power: the same load with priorities 0 and 1 is told apart
    const split = twoClasses({ rate_per_s: 20, highShare: 0.5, highPriority: 0, lowPriority: 1, n: N, seed: 5 });
    expect(ksStatistic(split.high, split.low)).toBeGreaterThan(critical);
  });
});
