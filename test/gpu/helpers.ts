import { Simulator } from '../../src/engine/sim.ts';
import { stream, type Rng } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaConfig, type ReplicaListener, type RejectReason } from '../../src/fleet/gpu/replica.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepModel, decodeWindows, type StepModel } from '../../src/perf/step.ts';

/**
 * A linear step model for fast, exactly predictable tests:
 *   t = overhead + a * prefillTokens + b * decodeSeqs + c * decodeCtxTokens   (ms)
 */
export function linearStep(opts: { overhead?: number; perPrefill?: number; perSeq?: number; perCtx?: number; kvTokens?: number; windowTokens?: number; slidingWindow?: number; perWindow?: number; kvBound?: number } = {}): StepModel {
  const o = opts.overhead ?? 5, a = opts.perPrefill ?? 0.02, b = opts.perSeq ?? 0.1, c = opts.perCtx ?? 0.0005;
  const window = opts.windowTokens ? opts.slidingWindow ?? opts.windowTokens : 0, w = opts.perWindow ?? 0;
  return {
    tp: 1,
    gpus: 1,
    dataParallelGroups: 1,
    kvCapacityTokens: opts.kvTokens ?? 16 * 1024,
    // windowTokens of cache at a full window of slidingWindow tokens (default: one layer's worth, the same)
    kvWindowTokensPerSequence: opts.windowTokens ?? 0,
    // every layer slides: a sequence holds at most this many tokens (0: no bound)
    kvTokensPerSequenceBound: opts.kvBound ?? 0,
    slidingWindowTokens: window,
    decodeWindowMsPerSequence: w,
    kvBytesPerToken: 1,
    weightBytesPerGpu: 0,
    requestOverheadMs: 0,
    peakFlopsPerS: 1e12,
    peakBytesPerS: 1e12,
    stepTimeMs(pt, _pairs, ds, dctx) {
      if (pt <= 0 && ds <= 0) return 0;
      return o + a * pt + b * ds + c * dctx + w * decodeWindows(window, ds, dctx);
    },
    decodeInterceptMs: (ds) => o + b * ds,
    decodeMsPerContextToken: c,
    stepFlops(pt, pairs, ds, dctx) {
      return 2e6 * (pt + ds) + pairs + dctx;
    },
    stepBytes(pt, _pairs, ds, dctx) {
      return 1e6 + pt + ds + dctx;
    },
  };
}

let cached70b: StepModel | null = null;
/**
 * The scheduler tests run on the 2023 vLLM stack's profile, the one fitted to Splitwise's A100
 * timings: their expectations (capacity, stalls) are about scheduling, so they must not move when
 * the default engine profile is refitted.
 */
const SCHEDULER_TEST_PROFILE = ENGINE_PROFILES['vllm-2023'];

/** Llama-2-70B, TP8 on A100-80GB. */
export function llama70b(): StepModel {
  cached70b ??= buildStepModel({ model: getModel('llama-2-70b'), gpu: getGpu('a100-80gb'), tp: 8, calibration: SCHEDULER_TEST_PROFILE });
  return cached70b;
}

let cached7b: StepModel | null = null;
/** Llama-2-7B on one A100-80GB. */
export function llama7b(): StepModel {
  cached7b ??= buildStepModel({ model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1, calibration: SCHEDULER_TEST_PROFILE });
  return cached7b;
}

export const BASE_CFG: ReplicaConfig = {
  max_num_seqs: 64,
  max_batched_tokens: 512,
  chunked_prefill: true,
  block_size_tokens: 16,
  max_waiting: 100_000,
};

/** Per-request record kept by the test listener (tests only: objects per request are fine here). */
export interface ReqRecord {
  prompt: number;
  output: number;
  submit: number;
  first: number;
  done: number;
  preemptions: number;
  schedDelay: number;
  rejected: RejectReason | null;
  lost: number;
  tokens: number[];
  firstCalls: number;
  doneCalls: number;
  /** Arrived while the replica was down: never submitted. */
  skipped: boolean;
}

/** Records every callback and checks that none arrives twice or out of order. */
export class Recorder implements ReplicaListener {
  readonly reqs: ReqRecord[] = [];
  errors: string[] = [];

  add(prompt: number, output: number, submit: number): number {
    this.reqs.push({ prompt, output, submit, first: NaN, done: NaN, preemptions: 0, schedDelay: NaN, rejected: null, lost: 0, tokens: [], firstCalls: 0, doneCalls: 0, skipped: false });
    return this.reqs.length - 1;
  }
  firstToken(req: number, t: number): void {
    const r = this.reqs[req];
    r.firstCalls++;
    if (r.firstCalls > 1) this.errors.push(`req ${req}: firstToken twice`);
    r.first = t;
  }
  done(req: number, t: number, preemptions: number, sched: number): void {
    const r = this.reqs[req];
    r.doneCalls++;
    if (r.doneCalls > 1) this.errors.push(`req ${req}: done twice`);
    if (r.firstCalls !== 1) this.errors.push(`req ${req}: done before firstToken`);
    r.done = t;
    r.preemptions = preemptions;
    r.schedDelay = sched;
  }
  rejected(req: number, _t: number, reason: RejectReason): void {
    const r = this.reqs[req];
    if (r.rejected) this.errors.push(`req ${req}: rejected twice`);
    r.rejected = reason;
  }
  token(req: number, t: number): void {
    this.reqs[req].tokens.push(t);
  }
}

export interface Workload {
  n: number;
  rate_per_s: number;
  prompt: (rng: Rng) => number;
  output: (rng: Rng) => number;
  seed?: number;
}

/** Poisson arrivals into one replica, every token traced; returns everything needed to check it. */
export function runWorkload(step: StepModel, cfg: ReplicaConfig, w: Workload, opts: { check?: boolean; itl?: boolean; tokens?: boolean; debug?: boolean; before?: (sim: Simulator, r: GpuReplica, rec: Recorder) => void } = {}) {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, step, cfg, rec);
  const rng = stream(w.seed ?? 1, 'gpu-test');
  let maxUsed = 0;
  let iterations = 0;
  const invariantErrors: string[] = [];
  if (opts.debug !== false) replica.debug = {
    planned(r) {
      iterations++;
      if (r.usedBlocks > maxUsed) maxUsed = r.usedBlocks;
      if (r.usedBlocks > r.capacityBlocks) invariantErrors.push(`used ${r.usedBlocks} > cap ${r.capacityBlocks} at ${sim.now_ms}`);
      if (opts.check !== false) {
        try {
          r.checkInvariants();
        } catch (e) {
          if (invariantErrors.length < 5) invariantErrors.push((e as Error).message);
        }
      }
    },
    token: opts.tokens === false ? undefined : (req, t) => rec.token(req, t),
  };
  let next = 0;
  let t = 0;
  const hArrive = sim.on(() => {
    const p = w.prompt(rng), o = w.output(rng);
    const id = rec.add(p, o, sim.now_ms);
    if (replica.healthy) replica.submit(id, p, o);
    else rec.reqs[id].skipped = true; // the fleet would route elsewhere
    next++;
    if (next < w.n) {
      t += -Math.log(1 - rng()) * (1000 / w.rate_per_s);
      sim.at(t, hArrive);
    }
  });
  sim.at(0, hArrive);
  opts.before?.(sim, replica, rec);
  sim.run();
  return { sim, replica, rec, maxUsed, iterations, invariantErrors };
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Runs a Poisson workload of mixed output lengths with decode fusion on and off and returns the
 * two: fusion is an optimisation, so request times and statistics must come out identical.
 */
export function fusedAndPlain(cfg: ReplicaConfig, seed: number) {
  const w = { n: 400, rate_per_s: 30, prompt: () => 200, output: (rng: () => number) => 20 + Math.floor(rng() * 200), seed };
  const fused = runWorkload(linearStep(), { ...cfg, fuse_decode: true }, w, { debug: false });
  const plain = runWorkload(linearStep(), { ...cfg, fuse_decode: false }, w, { debug: false });
  const times = (r: typeof fused) => r.rec.reqs.map((q) => [q.first, q.done]);
  return { fused: { times: times(fused), stats: fused.replica.stats() }, plain: { times: times(plain), stats: plain.replica.stats() } };
}

/**
 * Two requests of `prompt`/`output` tokens at 0, then `late` more submitted at `late_ms`, on the
 * linear step with the replica's invariants checked at every plan. Returns the recorder.
 */
export function twoThenLate(cfg: ReplicaConfig, prompt: number, output: number, late_ms: number, late: number): Recorder {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, linearStep(), cfg, rec);
  replica.debug = { planned: (r) => r.checkInvariants(), token: (req, t) => rec.token(req, t) };
  for (let i = 0; i < 2; i++) replica.submit(rec.add(prompt, output, 0), prompt, output);
  if (late > 0) sim.at(late_ms, sim.on(() => {
    for (let i = 0; i < late; i++) replica.submit(rec.add(prompt, output, late_ms), prompt, output);
  }));
  sim.run();
  if (rec.errors.length) throw new Error(rec.errors.join('; '));
  return rec;
}

/**
 * The mean TTFT of sparse probes (300 prompts of 16 tokens and 2 output tokens, Poisson at 2/s) on
 * a replica one long request keeps decoding at a constant 5.1 ms a step (no context term): the
 * scheduling delay a configuration adds shows in it against another's.
 */
export function sparseProbeMeanTtft(cfg: ReplicaConfig): number {
  const step = linearStep({ perCtx: 0, kvTokens: 1_000_000 });
  const w = { n: 300, rate_per_s: 2, prompt: () => 16, output: () => 2, seed: 11 };
  const r = runWorkload(step, cfg, w, {
    debug: false,
    before: (_sim, replica, rec) => void replica.submit(rec.add(16, 40_000, 0), 16, 40_000),
  });
  const probes = r.rec.reqs.slice(1);
  return probes.reduce((sum, q) => sum + (q.first - q.submit), 0) / probes.length;
}
