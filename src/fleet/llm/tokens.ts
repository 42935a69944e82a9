import { makeSampler, type Sampler } from '../../engine/distributions.ts';
import type { Rng } from '../../engine/random.ts';
import type { Trace } from '../../workload/trace.ts';
import { INT32_MAX } from '../../util/limits.ts';

/** Draws (prompt, output) token counts for one served model, clipped to its context window. */
export class TokenSource {
  prompt = 0;
  output = 0;
  private readonly promptDist?: Sampler;
  private readonly outputDist?: Sampler;

  constructor(
    spec: { prompt: Parameters<typeof makeSampler>[0]; output: Parameters<typeof makeSampler>[0] } | { trace: Trace; scale_prompt: number; scale_output: number },
    private readonly rng: Rng,
    maxContext: number,
    /** Encoders (embeddings) produce one result, not a stream of tokens. */
    private readonly encoder: boolean,
  ) {
    // Token counts live in Int32Array slots (request records): a context window from a model
    // config larger than that must not let a draw wrap around (util/limits.ts).
    this.maxContext = Math.min(maxContext, INT32_MAX);
    if ('prompt' in spec) {
      this.promptDist = makeSampler(spec.prompt, rng);
      this.outputDist = makeSampler(spec.output, rng);
    } else {
      this.trace = spec.trace;
      this.scaleP = spec.scale_prompt;
      this.scaleO = spec.scale_output;
    }
  }
  private readonly maxContext: number;
  private trace?: Trace;
  private scaleP = 1;
  private scaleO = 1;

  /** Sets `prompt` and `output` for the next request. */
  draw(): void {
    let p: number, o: number;
    if (this.trace) {
      const i = Math.floor(this.rng() * this.trace.length);
      p = this.trace.promptTokens[i] * this.scaleP;
      o = this.trace.outputTokens[i] * this.scaleO;
    } else {
      p = this.promptDist!.sample();
      o = this.outputDist!.sample();
    }
    o = this.encoder ? 1 : Math.max(1, Math.round(o));
    p = Math.max(1, Math.round(p));
    // Clip to the context window: output first (at most half the window), then the prompt.
    if (!this.encoder && o > this.maxContext / 2) o = Math.floor(this.maxContext / 2);
    if (p + (this.encoder ? 0 : o) > this.maxContext) p = this.maxContext - (this.encoder ? 0 : o);
    this.prompt = p;
    this.output = o;
  }

  /** Mean prompt and output tokens (by sampling; for capacity checks only). */
  means(n = 20_000): { prompt: number; output: number } {
    let sp = 0, so = 0;
    for (let i = 0; i < n; i++) {
      this.draw();
      sp += this.prompt;
      so += this.output;
    }
    return { prompt: sp / n, output: so / n };
  }
}
