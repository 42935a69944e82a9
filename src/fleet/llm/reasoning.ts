import { makeSampler, type Sampler } from '../../engine/distributions.ts';
import type { DistInput } from '../../engine/distribution-schema.ts';
import type { Rng } from '../../engine/random.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import type { ModelMetrics } from './metrics.ts';

/**
 * A reasoning model's hidden thinking tokens (fleet.models.<m>.reasoning_tokens): a distribution
 * of tokens per request, or a ratio to the visible output (hidden = ratio x visible, rounded).
 */
export type ReasoningSpec = DistInput | { ratio_to_output: number };

/** Most hidden tokens one ratio may ask per visible token (a guard against unit slips: o1-style answers run at tens). */
export const MAX_REASONING_RATIO = 1000;

/** Draws the hidden tokens of one request of a reasoning model. */
export class ReasoningDraw {
  private readonly dist: Sampler | null;
  private readonly ratio: number;

  constructor(spec: ReasoningSpec, rng: Rng) {
    const isRatio = 'ratio_to_output' in spec;
    this.dist = isRatio ? null : makeSampler(spec, rng);
    this.ratio = isRatio ? spec.ratio_to_output : 0;
  }

  /** Hidden tokens for a request whose visible answer has `visible` tokens. */
  hidden(visible: number): number {
    const drawn = this.dist === null ? this.ratio * visible : this.dist.sample();
    return Math.max(0, Math.round(drawn));
  }
}

/**
 * The per-request state of reasoning models, beside the 128-byte request record (which is full):
 * each logical request's hidden tokens and client-side TTFT, in arrays indexed by logical request
 * id (a client retry keeps its logical id, so its attempts keep the count). Only built when some
 * model has reasoning tokens: other fleets pay nothing.
 *
 * The time to first visible token (TTFVT) is measured when the request completes: its hidden
 * tokens are decoded first, so its first visible token is output token hidden + 1, which came
 * hidden x (its mean time per output token) after the first token. On a replica whose decode
 * steps take the same time (a steady batch) this is the token's time exactly; under a changing
 * batch it is the linear interpolation of the request's own decode.
 */
export class ReasoningBook {
  private hiddenByLogical = new Int32Array(1024);
  private ttftByLogical = new Float64Array(1024);

  /** Gives each reasoning model's metrics their TTFVT statistics. */
  constructor(
    private readonly models: readonly ModelMetrics[],
    reasoningModels: readonly boolean[],
  ) {
    reasoningModels.forEach((r, m) => {
      if (r) models[m].ttfvt = new LatencyStats();
    });
  }

  private fit(logical: number): void {
    if (logical < this.hiddenByLogical.length) return;
    let n = this.hiddenByLogical.length;
    while (n <= logical) n *= 2;
    const hidden = new Int32Array(n);
    hidden.set(this.hiddenByLogical);
    const ttft = new Float64Array(n);
    ttft.set(this.ttftByLogical);
    this.hiddenByLogical = hidden;
    this.ttftByLogical = ttft;
  }

  /**
   * A new request (or a session's turn) of `model` drew its tokens: `tokens.reasoning` of its
   * output tokens are thinking. A measured (`counted`) one whose visible answer the context window
   * cut is counted: 10,000 hidden tokens in a 4,096-token window left one visible token, and the
   * summary read a TTFVT equal to e2e with no word of why.
   */
  drawn(model: number, logical: number, tokens: { reasoning: number; answerCut: boolean }, counted: boolean): void {
    this.fit(logical);
    this.hiddenByLogical[logical] = tokens.reasoning;
    const mm = this.models[model];
    if (counted && tokens.answerCut && mm.ttfvt !== null) mm.answers_cut++;
  }

  /** The attempt's first (hidden or visible) token reached the client `ttft_ms` after arrival. */
  firstToken(logical: number, ttft_ms: number): void {
    this.fit(logical);
    this.ttftByLogical[logical] = ttft_ms;
  }

  /** The attempt completed: its first token at first_ms, its last at done_ms (replica times), `out` output tokens in all. */
  done(model: number, logical: number, first_ms: number, done_ms: number, out: number): void {
    const mm = this.models[model];
    if (mm.ttfvt === null || logical >= this.hiddenByLogical.length) return;
    const hidden = Math.min(this.hiddenByLogical[logical], out - 1);
    const perToken_ms = out > 1 ? (done_ms - first_ms) / (out - 1) : 0;
    mm.ttfvt.add(this.ttftByLogical[logical] + hidden * perToken_ms);
    mm.reasoning_tokens += hidden;
  }
}
