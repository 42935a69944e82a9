import { makeSampler, type Sampler } from '../../engine/distributions.ts';
import type { Rng } from '../../engine/random.ts';
import type { Trace } from '../../workload/trace.ts';
import { INT32_MAX } from '../../util/limits.ts';
import { UserPopulation } from './users.ts';
import { PREFIX_FAMILY, prefixKey, type PrefixChain } from '../gpu/prefix-cache.ts';
import type { ReasoningDraw } from './reasoning.ts';

type DistInput = Parameters<typeof makeSampler>[0];
/** Applications' system prompts (fleet/schema.ts): how many, their lengths, their Zipf popularity. */
export interface SystemPromptsSpec {
  count: number;
  length: DistInput;
  zipf_s: number;
}

/**
 * Draws (prompt, output) token counts for one served model, clipped to its context window. With
 * system prompts, a prompt is a system prompt (drawn by popularity) followed by the request's own
 * part (the `prompt` distribution); `prefixId` and `prefixTokens` name the system prompt.
 */
export class TokenSource {
  prompt = 0;
  output = 0;
  /** The drawn request's system prompt (-1: none) and its tokens at the start of `prompt`. */
  prefixId = -1;
  prefixTokens = 0;
  /** Reasoning models: the hidden thinking tokens at the start of `output` (decoded, billed, never shown). */
  reasoning = 0;
  /** The context window cut the drawn request's visible answer (its hidden tokens took the room). */
  answerCut = false;
  /** Tokens of each system prompt, drawn once. */
  private systemPromptTokens?: Int32Array;
  /** Zipf popularity over the system prompts (an alias table: O(1) per draw). */
  private systemPromptPick?: UserPopulation;
  private readonly promptDist?: Sampler;
  private readonly outputDist?: Sampler;

  constructor(
    spec: { prompt: DistInput; output: DistInput; system_prompts?: SystemPromptsSpec } | { trace: Trace; scale_prompt: number; scale_output: number },
    private readonly rng: Rng,
    maxContext: number,
    /** Encoders (embeddings) produce one result, not a stream of tokens. */
    private readonly encoder: boolean,
    /** A reasoning model's hidden tokens, added to each drawn visible output. */
    private readonly reasoningDraw: ReasoningDraw | null = null,
    /** The API's max_tokens: no output, hidden tokens included, runs past it. */
    maxOutputTokens = Infinity,
  ) {
    // Token counts live in Int32Array slots (request records): a context window from a model
    // config larger than that must not let a draw wrap around (util/limits.ts).
    this.maxContext = Math.min(maxContext, INT32_MAX);
    this.maxOutput = Math.min(maxOutputTokens, INT32_MAX);
    if ('prompt' in spec) {
      this.promptDist = makeSampler(spec.prompt, rng);
      this.outputDist = makeSampler(spec.output, rng);
      if (spec.system_prompts) this.drawSystemPrompts(spec.system_prompts);
    } else {
      this.trace = spec.trace;
      this.scaleP = spec.scale_prompt;
      this.scaleO = spec.scale_output;
    }
  }
  private readonly maxContext: number;
  private readonly maxOutput: number;
  private trace?: Trace;
  private scaleP = 1;
  private scaleO = 1;

  /** Sets `prompt` and `output` for the next request. */
  draw(): void {
    let p: number, o: number;
    if (this.trace) {
      const i = Math.floor(this.rng() * this.trace.length);
      // a Mooncake trace's row names its prefix blocks (chainOfRow); -1 keeps it a plain request
      this.prefixId = this.trace.prefixBlocks ? i : -1;
      p = this.trace.promptTokens[i] * this.scaleP;
      o = this.trace.outputTokens[i] * this.scaleO;
    } else {
      p = this.promptDist!.sample();
      o = this.outputDist!.sample();
    }
    o = this.encoder ? 1 : Math.max(1, Math.round(o));
    p = Math.max(1, Math.round(p));
    const hidden = this.reasoningDraw === null || this.encoder ? 0 : this.reasoningDraw.hidden(o);
    o += hidden;
    // max_tokens stops the output, thinking and answer together (the answer keeps a token, below)
    if (o > this.maxOutput) o = this.maxOutput;
    const beforeWindow = o;
    let prefix = 0;
    if (this.systemPromptPick) {
      this.prefixId = this.systemPromptPick.draw();
      prefix = this.systemPromptTokens![this.prefixId];
      p += prefix;
    }
    // Clip to the context window: output first (at most half the window), then the prompt.
    if (!this.encoder && o > this.maxContext / 2) o = Math.floor(this.maxContext / 2);
    if (p + (this.encoder ? 0 : o) > this.maxContext) p = this.maxContext - (this.encoder ? 0 : o);
    this.prompt = p;
    this.output = o;
    // the window clips the thinking before the answer: at least one visible token is left
    this.reasoning = Math.min(hidden, o - 1);
    // the answer max_tokens left, against what the window leaves: fewer visible tokens is a cut answer
    this.answerCut = o - this.reasoning < beforeWindow - Math.min(hidden, beforeWindow - 1);
    // a prompt clipped to the context window keeps the start of its system prompt
    this.prefixTokens = prefix < p ? prefix : p;
  }

  private drawSystemPrompts(spec: SystemPromptsSpec): void {
    const length = makeSampler(spec.length, this.rng);
    const tokens = (this.systemPromptTokens = new Int32Array(spec.count));
    for (let i = 0; i < spec.count; i++) tokens[i] = Math.min(this.maxContext, Math.max(1, Math.round(length.sample())));
    this.systemPromptPick = new UserPopulation(spec.count, spec.zipf_s, 1, this.rng, spec.count);
  }

  /** True when prefixId is a trace row whose prefix blocks chainOfRow gives (a Mooncake trace). */
  get prefixIsTraceRow(): boolean {
    return this.trace?.prefixBlocks !== undefined;
  }

  /**
   * The prefix chain of a Mooncake trace row: one segment per block id, ending at
   * min((k + 1) x blockTokens x scale_prompt, prompt) tokens; the replica cuts each into its own
   * KV blocks (512 / 16 = 32 of them per trace block), the last one at the prompt's last full block.
   */
  chainOfRow(row: number, promptTokens: number, chain: PrefixChain): PrefixChain {
    const blocks = this.trace!.prefixBlocks!;
    chain.clear();
    const per = blocks.blockTokens * this.scaleP;
    for (let j = blocks.start[row], k = 1; j < blocks.start[row + 1]; j++, k++) {
      chain.push(prefixKey(PREFIX_FAMILY.traceBlock, blocks.ids[j]), Math.min(Math.round(k * per), promptTokens));
    }
    return chain;
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
