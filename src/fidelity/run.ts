import { stream, type Rng } from '../engine/random.ts';
import { Simulator, type StopReason } from '../engine/sim.ts';
import { GpuReplica, VLLM_REPLICA_DEFAULTS, type ReplicaListener } from '../fleet/gpu/replica.ts';
import type { SchedulerDefaults } from '../perf/calibration.ts';
import { LatencyStats } from '../metrics/latency.ts';
import type { StepModel } from '../perf/step.ts';
import { datasetLengths, type DatasetLengths, type LengthDataset } from './dataset-lengths.ts';
import { uncappedOutputMean } from './output-cap.ts';

/**
 * One simulated GPU replica driven by a benchmark client, the way published serving and offline
 * throughput figures are measured (vLLM's benchmark_serving.py and benchmark_throughput.py):
 * requests 0..requests-1 are submitted by the arrival process; requests warmup..warmup+measured-1
 * are the measured ones. Their per-request figures, the inter-token gaps and the tokens the
 * replica produces are read over the window from the submission of the first measured request
 * to the submission of the first request after them (or, when every request is measured, from 0
 * to the last completion: the whole run, as an offline benchmark times it).
 */
export type Arrivals =
  | { readonly kind: 'poisson'; readonly rate_per_s: number }
  /**
   * `concurrency` clients, each sending its next request when its last one ends, after a gap of
   * its own: drawn from an exponential law of mean client_gap_ms (default 0), counted in no latency
   */
  | { readonly kind: 'closed'; readonly concurrency: number; readonly client_gap_ms?: number }
  /** every request submitted at time 0 (an offline throughput run) */
  | { readonly kind: 'burst' };

/**
 * How a benchmark's prompt and output lengths are spread around the stated means:
 * - `fixed`: every request has exactly the stated lengths;
 * - `geometric`: drawn (seeded) from a geometric law with these means, the maximum-entropy law
 *   given only a mean (a dataset such as ShareGPT whose shape the row does not state);
 * - `uniform`: each length uniform on the integers [1, 2 x mean - 1] (SGLang's bench_serving
 *   `random` dataset with `--random-range-ratio 0`: uniform on [1, L], mean about L / 2);
 * - `range`: each length uniform on the integers [floor(mean x (1 - r)), ceil(mean x (1 + r))],
 *   r the Lengths' range_ratio (vLLM's `random` dataset with `--random-range-ratio r`, 0 < r < 1,
 *   which draws prompts and outputs alike so).
 */
export type LengthLaw = 'fixed' | 'geometric' | 'uniform' | 'range';

/** Prompt and output lengths: their means and how they are spread (LengthLaw). */
export interface Lengths {
  readonly prompt_tokens: number;
  readonly output_tokens: number;
  readonly law: LengthLaw;
  /**
   * the outputs' own law when it differs from the prompts' (a benchmark that draws its prompts
   * from a dataset but forces every output to its max_tokens: MLPerf, `--ignore-eos` runs)
   */
  readonly output_law?: LengthLaw;
  /** draws are clipped so that prompt + output fits this context */
  readonly max_context: number;
  /** r of the `range` law (0 < r < 1); unused by the others */
  readonly range_ratio?: number;
  /** the first this many tokens of every prompt are one shared prefix, which the replica caches (0: none) */
  readonly shared_prefix_tokens?: number;
  /**
   * every distinct prompt is submitted this many times, the copies in a seeded random order (vLLM's
   * benchmark_prefix_caching.py --repeat-count, which shuffles the repeated list): a copy finds the
   * blocks of an earlier copy in the replica's cache (0 or 1: every prompt distinct)
   */
  readonly repeat_count?: number;
  /**
   * the run's prompts are this many distinct ones (request i sends prompt i mod N), each sent to the
   * engine before the run, so its prefix cache holds them: a sweep that repeats one seeded set of
   * prompts at each request rate on one server finds the earlier rate's prompts cached (simulate
   * sends each once first, unmeasured, then the run); 0 or absent: every prompt new
   */
  readonly cached_prompts?: number;
  /**
   * draw each request's prompt and output together from this dataset's samples, each scaled to the
   * means above (dataset-lengths.ts); an output law of `fixed` keeps the outputs at their mean
   */
  readonly dataset?: LengthDataset;
  /**
   * outputs stop at this many tokens, the benchmark's max_tokens (output-cap.ts): drawn from the
   * geometric law or the dataset around the larger mean whose capped draws average output_tokens,
   * then capped; absent: uncapped
   */
  readonly max_output_tokens?: number;
}

export interface RunSpec {
  readonly step: StepModel;
  /** vLLM's max_num_seqs: the running-batch bound */
  readonly max_num_seqs: number;
  /** the engine's token budget and chunking */
  readonly scheduler: Pick<SchedulerDefaults, 'max_batched_tokens' | 'chunked_prefill' | 'kv_admission' | 'admission_hold' | 'decode_run_steps' | 'async_scheduling'>;
  readonly arrivals: Arrivals;
  readonly lengths: Lengths;
  /** requests the client may submit in all (the bound on the work) */
  readonly requests: number;
  readonly warmup: number;
  readonly measured: number;
  readonly seed: number;
  /** wall-clock bound of the simulation */
  readonly max_wall_ms: number;
}

export interface RunResult {
  /** per measured request that completed, in submission order */
  readonly ttft_ms: Float64Array;
  readonly e2e_ms: Float64Array;
  /** (last token - first token) / (output - 1), for measured requests with output > 1 */
  readonly tpot_ms: Float64Array;
  /** every inter-token gap in the window, all requests */
  readonly itl: LatencyStats;
  readonly window_ms: number;
  /** tokens the replica produced in the window: output, and the prompts' tokens (prefilled the first
   *  time or found in the prefix cache: a benchmark counts every prompt token it sent) */
  readonly output_tokens: number;
  readonly prompt_tokens: number;
  /** of prompt_tokens, those found in the prefix cache instead of prefilled */
  readonly cached_prompt_tokens: number;
  /** time-average of requests submitted and not done, over the window */
  readonly mean_in_flight: number;
  /** requests in flight at the last measured submission minus at the middle one, and the
   *  submissions between the two: a queue that keeps growing means offered load above capacity */
  readonly in_flight_growth: number;
  readonly submissions_between: number;
  /** mean output tokens of the measured requests (to turn tokens/s into requests/s) */
  readonly mean_output_tokens: number;
  readonly submitted: number;
  readonly completed_measured: number;
  readonly rejected: number;
  readonly stop: StopReason;
}

/** Geometric on 1, 2, ...: the maximum-entropy distribution of a positive integer with a given mean. */
function geometric(rng: Rng, mean: number): number {
  if (mean <= 1) return 1;
  return 1 + Math.floor(Math.log(1 - rng()) / Math.log(1 - 1 / mean));
}

/** An integer uniform on [1, 2 x mean - 1] (mean `mean`). */
function uniformAround(rng: Rng, mean: number): number {
  return 1 + Math.floor(rng() * Math.max(1, 2 * Math.round(mean) - 1));
}

export function lengthSampler(l: Lengths, seed: number): () => [number, number] {
  const cap = l.max_output_tokens;
  if (cap === undefined) return uncappedSampler(l, seed);
  const dataset = l.dataset !== undefined ? datasetLengths(l.dataset) : undefined;
  // a cap on outputs forced to their length, or spread uniformly, is not a law output-cap.ts inverts
  if ((l.output_law ?? l.law) === 'fixed' || (!dataset && l.law !== 'geometric')) throw new RangeError(`lengthSampler: an output cap needs drawn geometric or dataset outputs, got ${l.output_law ?? l.law}`);
  const draw = uncappedSampler({ ...l, output_tokens: uncappedOutputMean(l.output_tokens, cap, dataset) }, seed);
  return () => {
    const [prompt, output] = draw();
    return [prompt, Math.min(output, cap)];
  };
}

function uncappedSampler(l: Lengths, seed: number): () => [number, number] {
  if (l.dataset !== undefined) return datasetSampler(l, datasetLengths(l.dataset), seed);
  const outputLaw = l.output_law ?? l.law;
  if (l.law === 'fixed' && outputLaw === 'fixed') return () => [l.prompt_tokens, l.output_tokens];
  const drawPrompt = drawer(l.law, l.prompt_tokens, l.range_ratio ?? 0, stream(seed, 'fidelity:prompt'));
  const drawOutput = drawer(outputLaw, l.output_tokens, l.range_ratio ?? 0, stream(seed, 'fidelity:output'));
  return () => {
    const prompt = Math.min(drawPrompt(), l.max_context - 1);
    const output = Math.min(drawOutput(), l.max_context - prompt);
    return [prompt, output];
  };
}

/**
 * One sample of a dataset per request, its prompt and output scaled by the run's means over the
 * dataset's (a model that answers longer than the dataset's reference outputs keeps their shape).
 */
function datasetSampler(l: Lengths, d: DatasetLengths, seed: number): () => [number, number] {
  const rng = stream(seed, 'fidelity:sample');
  const promptScale = l.prompt_tokens / d.prompt_mean;
  const outputScale = l.output_tokens / d.output_mean;
  const fixedOutput = l.output_law === 'fixed';
  return () => {
    const i = Math.floor(rng() * d.prompts.length);
    const prompt = Math.min(Math.max(1, Math.round(d.prompts[i] * promptScale)), l.max_context - 1);
    const drawn = fixedOutput ? l.output_tokens : Math.max(1, Math.round(d.outputs[i] * outputScale));
    return [prompt, Math.min(drawn, l.max_context - prompt)];
  };
}

/** An integer uniform on [floor(mean x (1 - ratio)), ceil(mean x (1 + ratio))], at least 1 (vLLM's random dataset). */
function uniformInRange(rng: Rng, mean: number, ratio: number): number {
  const low = Math.max(1, Math.floor(mean * (1 - ratio)));
  const high = Math.max(low, Math.ceil(mean * (1 + ratio)));
  return low + Math.floor(rng() * (high - low + 1));
}

/** Draws of one length law around `mean` from its own stream (`ratio`: the range law's). */
function drawer(law: LengthLaw, mean: number, ratio: number, rng: Rng): () => number {
  if (law === 'fixed') return () => mean;
  if (law === 'range') return () => uniformInRange(rng, mean, ratio);
  const draw = law === 'uniform' ? uniformAround : geometric;
  return () => draw(rng, mean);
}

/**
 * The distinct prompt of each of n requests when every prompt is sent `repeat` times: keys
 * 0..ceil(n / repeat) - 1, each `repeat` times, shuffled (Fisher-Yates on a seeded stream), or
 * null when prompts are not repeated.
 */
export function repeatedPromptKeys(n: number, repeat: number, seed: number): Int32Array | null {
  if (repeat <= 1) return null;
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.floor(i / repeat);
  const rng = stream(seed, 'fidelity:repeat');
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = keys[i];
    keys[i] = keys[j];
    keys[j] = t;
  }
  return keys;
}

/** Draws `primers` requests' lengths, then gives them again in the same order (the run repeats its primers' prompts). */
function primedLengths(draw: () => [number, number], primers: number): () => [number, number] {
  const drawn: [number, number][] = [];
  let next = 0;
  return () => {
    if (drawn.length < primers) {
      const lengths = draw();
      drawn.push(lengths);
      return lengths;
    }
    return drawn[next++ % primers];
  };
}

/** Keys of a primed run: request i has key i mod primers, its primer's. */
function primedPromptKeys(n: number, primers: number): Int32Array {
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = i % primers;
  return keys;
}

/** The benchmark client's state: what it submitted when, and the window's snapshots. */
class Client {
  readonly submit_ms: Float64Array;
  readonly first_ms: Float64Array;
  readonly done_ms: Float64Array;
  readonly output: Int32Array;
  readonly itl = new LatencyStats({ rememberRuns: true });
  submitted = 0;
  rejected = 0;
  measuredFinished = 0;
  inFlight = 0;
  inFlightMid = NaN;
  inFlightLast = NaN;
  area = 0;
  lastT = 0;
  readonly start = { t: NaN, area: 0, output: 0, prompt: 0, cached: 0 };
  readonly end = { t: NaN, area: 0, output: 0, prompt: 0, cached: 0 };
  replica!: GpuReplica;
  private readonly nextLengths: () => [number, number];
  /** per request, the key of its distinct prompt (repeat_count > 1), else null */
  private readonly promptKey: Int32Array | null;

  /**
   * `primers`: requests 0..primers-1 send each distinct prompt of the run once before it
   * (cached_prompts): request primers + k repeats primer (k mod primers)'s prompt, under its key,
   * and the replica finds it cached
   */
  constructor(readonly spec: RunSpec, readonly sim: Simulator, readonly primers = 0) {
    const n = spec.requests;
    this.submit_ms = new Float64Array(n);
    this.first_ms = new Float64Array(n).fill(NaN);
    this.done_ms = new Float64Array(n).fill(NaN);
    this.output = new Int32Array(n);
    this.nextLengths = primers > 0 ? primedLengths(lengthSampler(spec.lengths, spec.seed), primers) : lengthSampler(spec.lengths, spec.seed);
    this.promptKey = primers > 0 ? primedPromptKeys(n, primers) : repeatedPromptKeys(n, spec.lengths.repeat_count ?? 0, spec.seed);
  }

  private advance(): void {
    const now = this.sim.now_ms;
    this.area += this.inFlight * (now - this.lastT);
    this.lastT = now;
  }

  private snapshot(into: Client['start']): void {
    this.advance();
    const st = this.replica.stats();
    // prompt tokens sent = prefilled the first time + found in the cache (a request preempted and
    // admitted again counts its cache hit again: only with preemption and a prefix, rare here)
    const cached = st.cached_prompt_tokens;
    Object.assign(into, { t: this.sim.now_ms, area: this.area, output: st.output_tokens, prompt: st.prefill_tokens - st.recompute_tokens + cached, cached });
  }

  midRequest(): number {
    return this.spec.warmup + Math.floor(this.spec.measured / 2);
  }

  private isMeasured(req: number): boolean {
    return req >= this.spec.warmup && req < this.spec.warmup + this.spec.measured;
  }

  /** Submits the next request; false when the client has submitted all it may. */
  submitNext(): boolean {
    const req = this.submitted;
    if (req >= this.spec.requests) return false;
    if (req === this.spec.warmup) {
      this.snapshot(this.start);
      this.replica.itl = this.itl;
    }
    if (req === this.spec.warmup + this.spec.measured) {
      this.closeWindow();
      this.stopWhenDone();
    }
    const [prompt, drawnOutput] = this.nextLengths();
    // a primer's answer does not matter, only that its prompt reaches the cache
    const output = req < this.primers ? 1 : drawnOutput;
    this.advance();
    this.submitted++;
    this.inFlight++;
    this.submit_ms[req] = this.sim.now_ms;
    this.output[req] = output;
    const shared = this.spec.lengths.shared_prefix_tokens ?? 0;
    // a repeated prompt is its own prefix: the replica reuses its full blocks short of the last token
    if (this.promptKey !== null) this.replica.submit(req, prompt, output, this.promptKey[req], prompt);
    else this.replica.submit(req, prompt, output, shared > 0 ? 0 : -1, Math.min(shared, prompt));
    // sampled after the submit, so a request rejected at once is not counted
    if (req === this.midRequest()) this.inFlightMid = this.inFlight;
    if (req === this.spec.warmup + this.spec.measured - 1) this.inFlightLast = this.inFlight;
    return true;
  }

  closeWindow(): void {
    if (!Number.isNaN(this.end.t)) return;
    this.snapshot(this.end);
    this.replica.itl = null;
  }

  /** A measured request has finished (completed or rejected): stop once all have and the window is closed. */
  finished(req: number): void {
    this.advance();
    this.inFlight--;
    if (!this.isMeasured(req)) return;
    this.measuredFinished++;
    if (this.measuredFinished < this.spec.measured) return;
    // every request measured (an offline run): the window ends at the last completion
    if (this.spec.warmup + this.spec.measured >= this.spec.requests) this.closeWindow();
    this.stopWhenDone();
  }

  private stopWhenDone(): void {
    if (this.measuredFinished >= this.spec.measured && !Number.isNaN(this.end.t)) this.sim.stop();
  }

  listener(onFinish: () => void): ReplicaListener {
    return {
      firstToken: (req, t) => {
        this.first_ms[req] = t;
      },
      done: (req, t) => {
        this.done_ms[req] = t;
        this.finished(req);
        onFinish();
      },
      rejected: (req) => {
        this.rejected++;
        this.finished(req);
        onFinish();
      },
    };
  }
}

/**
 * Sends the primers at once and calls `start` when the last has finished: the run's arrivals begin
 * on an idle engine whose cache holds every prompt, as a sweep's next rate begins after the last.
 * Returns the primers' completion hook.
 */
function primeThen(client: Client, sim: Simulator, primers: number, start: () => void): () => void {
  let finished = 0;
  sim.at(0, sim.on(() => {
    for (let k = 0; k < primers && client.submitNext(); k++);
  }));
  return () => {
    if (++finished === primers) start();
  };
}

/** Drives the arrivals from now: Poisson gaps from a seeded stream, a closed loop, or one burst. */
function startArrivals(client: Client, sim: Simulator, arrivals: Arrivals, seed: number): () => void {
  if (arrivals.kind === 'poisson') {
    const rng = stream(seed, 'fidelity:arrivals');
    const meanGap_ms = 1000 / arrivals.rate_per_s;
    const h = sim.on(() => {
      if (client.submitNext()) sim.after(-meanGap_ms * Math.log(1 - rng()), h);
    });
    sim.at(sim.now_ms, h);
    return () => {};
  }
  const initial = arrivals.kind === 'closed' ? arrivals.concurrency : client.spec.requests;
  const h = sim.on(() => {
    for (let k = 0; k < initial && client.submitNext(); k++);
  });
  sim.at(sim.now_ms, h);
  if (arrivals.kind !== 'closed') return () => {};
  // Closed loop: the client sends a new request as each one finishes, and the engine gets it after
  // the stack's own request cost (HTTP, API server, tokenisation), which lands it mid-iteration
  // rather than on the boundary of the step that freed its slot. With equal lengths that phase
  // decides whether the clients' prefills stagger or clump (docs/step-model.md). submit_ms is then
  // the engine's arrival time, and collect() adds the cost back to TTFT and end to end. Before it
  // comes the client's own gap, which no latency counts: with requests alike to the token a
  // deterministic loop would otherwise stay in lock-step for ever, where a real client's
  // milliseconds of jitter loosen it (docs/step-model.md, "Closed loops loosen").
  const handoff_ms = Math.max(0, client.spec.step.requestOverheadMs);
  const gap_ms = arrivals.client_gap_ms ?? 0;
  if (!(handoff_ms > 0) && !(gap_ms > 0)) return () => void client.submitNext();
  const rng = stream(seed, 'fidelity:client-gap');
  const next = sim.on(() => void client.submitNext());
  return () => void sim.after(handoff_ms - gap_ms * Math.log(1 - rng()), next);
}

export function simulate(given: RunSpec): RunResult {
  if (given.warmup + given.measured > given.requests) throw new RangeError('simulate: warmup + measured exceeds requests');
  const gap_ms = given.arrivals.kind === 'closed' ? given.arrivals.client_gap_ms ?? 0 : 0;
  if (!(Number.isFinite(gap_ms) && gap_ms >= 0)) throw new RangeError(`simulate: a closed loop's client_gap_ms must be a finite number >= 0, got ${gap_ms}`);
  // a run on prompts the engine has cached: each distinct prompt first, unmeasured, then the run
  // itself; no more primers than the run has requests (a prompt beyond them is never asked for)
  const primers = Math.min(given.requests, Math.max(0, Math.floor(given.lengths.cached_prompts ?? 0)));
  const spec = primers > 0 ? { ...given, requests: given.requests + primers, warmup: given.warmup + primers } : given;
  const sim = new Simulator();
  const client = new Client(spec, sim, primers);
  let onFinish: () => void = () => {};
  const config = {
    ...VLLM_REPLICA_DEFAULTS,
    max_num_seqs: spec.max_num_seqs,
    chunked_prefill: spec.scheduler.chunked_prefill,
    // every decoding sequence needs a token of the budget (vLLM refuses less)
    max_batched_tokens: Math.max(spec.scheduler.max_batched_tokens, spec.max_num_seqs),
    max_waiting: spec.requests,
    kv_admission: spec.scheduler.kv_admission,
    admission_hold: spec.scheduler.admission_hold,
    decode_run_steps: spec.scheduler.decode_run_steps,
    async_scheduling: spec.scheduler.async_scheduling,
  };
  client.replica = new GpuReplica(sim, spec.step, config, client.listener(() => onFinish()));
  const start = () => {
    onFinish = startArrivals(client, sim, spec.arrivals, spec.seed);
  };
  if (primers > 0) onFinish = primeThen(client, sim, primers, start);
  else start();
  const stop = sim.run(Infinity, { maxWallMs: spec.max_wall_ms });
  client.closeWindow();
  return collect(client, stop);
}

function collect(c: Client, stop: StopReason): RunResult {
  const { warmup, measured } = c.spec;
  const ttft: number[] = [], e2e: number[] = [], tpot: number[] = [];
  let outputSum = 0;
  for (let r = warmup; r < warmup + measured && r < c.submitted; r++) {
    if (Number.isNaN(c.done_ms[r])) continue;
    // the engine's own fixed cost per request (API server, tokenisation) comes before the first token
    ttft.push(c.first_ms[r] - c.submit_ms[r] + c.spec.step.requestOverheadMs);
    e2e.push(c.done_ms[r] - c.submit_ms[r] + c.spec.step.requestOverheadMs);
    if (c.output[r] > 1) tpot.push((c.done_ms[r] - c.first_ms[r]) / (c.output[r] - 1));
    outputSum += c.output[r];
  }
  const window_ms = c.end.t - c.start.t;
  return {
    ttft_ms: Float64Array.from(ttft), e2e_ms: Float64Array.from(e2e), tpot_ms: Float64Array.from(tpot),
    itl: c.itl,
    window_ms,
    output_tokens: c.end.output - c.start.output,
    prompt_tokens: c.end.prompt - c.start.prompt,
    cached_prompt_tokens: c.end.cached - c.start.cached,
    mean_in_flight: window_ms > 0 ? (c.end.area - c.start.area) / window_ms : NaN,
    in_flight_growth: c.inFlightLast - c.inFlightMid,
    submissions_between: warmup + measured - 1 - c.midRequest(),
    mean_output_tokens: e2e.length ? outputSum / e2e.length : NaN,
    submitted: c.submitted,
    completed_measured: e2e.length,
    rejected: c.rejected,
    stop,
  };
}
