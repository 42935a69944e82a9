import { UserError } from '../errors.ts';
import { DEFAULT_CALIBRATION } from './profiles.ts';
import type { CalibrationFactors } from './calibration.ts';
import type { ModelSpec } from './models.ts';
import { countParams } from './shape.ts';
import {
  buildStepGeometry, decodeMsPerContextTokenFrom, decodeWindowMsPerSequenceFrom, decodeWindows, stepModelFrom, stepTimeFrom,
  type StepGeometry, type StepModel, type StepModelOptions,
} from './step.ts';

/**
 * Speculative decoding (Leviathan et al., ICML 2023; Chen et al., 2023): each decode step of a
 * sequence drafts k tokens, the target model verifies them in one pass with k + 1 query tokens,
 * and the sequence keeps the longest accepted prefix plus one token of its own (the bonus token).
 *
 * - `draft`: a smaller model of the same tokenizer runs k decode passes at its own size, on the
 *   target's GPUs with the same tensor parallelism (vLLM's draft_model proposer);
 * - `eagle`, `mtp`: a light head on the target's hidden states (EAGLE-1/2/3; DeepSeek-V3's
 *   multi-token-prediction module) runs k passes, each costed as a fraction of one target decode
 *   step: by default one layer plus the LM head over the target's layers plus LM head.
 *
 * The accepted count is modelled by its expectation, deterministically: a step yields
 * E = 1 + sum_i prod_{j<=i} a_j tokens per sequence, (1 - alpha^(k+1)) / (1 - alpha) at a constant
 * acceptance. The replica keeps emitting one token per sequence per iteration; under speculation
 * an iteration stands for 1/E of a real step (its decode share costs verify + drafts over E), so
 * throughput and mean TPOT follow the expectation while the burstiness of accepted runs (several
 * tokens at once, then a rejection) is not simulated.
 */

export const SPECULATIVE_METHODS = ['draft', 'eagle', 'mtp'] as const;
export type SpeculativeMethod = (typeof SPECULATIVE_METHODS)[number];
/** Most tokens proposed per step: engines default to 1-8 (vLLM, SGLang, TensorRT-LLM MTP 1-3). */
export const MAX_SPECULATIVE_TOKENS = 16;

export interface SpeculativeSpec {
  method: SpeculativeMethod;
  /** k: tokens proposed per step */
  tokens_per_step: number;
  /** alpha: probability that a proposed token is accepted given the ones before it were, in [0, 1) */
  acceptance_rate?: number;
  /** or a measured profile a_1..a_k: acceptance of position i given positions before it accepted */
  acceptance_by_position?: readonly number[];
  /** the draft model (method draft): a catalog id, resolved by the caller */
  draft_model?: string;
  /** eagle, mtp: one draft pass's cost as a fraction of a target decode step (default: one layer + LM head) */
  draft_cost_fraction?: number;
}

/**
 * What is wrong with a spec, if anything, naming its field: the checks the scenario schema and
 * `fleetsim perf` share (ranges of single values are checked where they are parsed).
 */
export function speculativeSpecProblem(s: SpeculativeSpec): { field: keyof SpeculativeSpec; message: string } | undefined {
  if ((s.acceptance_rate === undefined) === (s.acceptance_by_position === undefined)) {
    return { field: 'acceptance_rate', message: 'expected exactly one of acceptance_rate and acceptance_by_position' };
  }
  if (s.acceptance_by_position && s.acceptance_by_position.length !== s.tokens_per_step) {
    return { field: 'acceptance_by_position', message: `expected ${s.tokens_per_step} values (one per proposed token, tokens_per_step), got ${s.acceptance_by_position.length}` };
  }
  if (s.method === 'draft' && s.draft_model === undefined) return { field: 'draft_model', message: 'expected a draft model (catalog id) with method draft' };
  if (s.method !== 'draft' && s.draft_model !== undefined) return { field: 'draft_model', message: `expected no draft_model with method ${s.method} (its head runs on the target)` };
  if (s.method === 'draft' && s.draft_cost_fraction !== undefined) {
    return { field: 'draft_cost_fraction', message: 'expected no draft_cost_fraction with method draft (the draft model is costed at its own size)' };
  }
  return undefined;
}

/** The per-position acceptance a_1..a_k of a spec (constant alpha repeated k times). */
export function acceptanceProfile(spec: SpeculativeSpec): number[] {
  if (spec.acceptance_by_position) return [...spec.acceptance_by_position];
  return new Array<number>(spec.tokens_per_step).fill(spec.acceptance_rate ?? 0);
}

/** Expected tokens a sequence keeps per step: 1 (the bonus token) + sum_i prod_{j<=i} a_j. */
export function expectedTokensPerStep(profile: readonly number[]): number {
  let survive = 1, tokens = 1;
  for (const a of profile) {
    survive *= a;
    tokens += survive;
  }
  return tokens;
}

/** Leviathan et al. (2023), eq. 1: expected tokens per step at a constant acceptance alpha < 1. */
export function closedFormTokensPerStep(alpha: number, k: number): number {
  return (1 - Math.pow(alpha, k + 1)) / (1 - alpha);
}

/**
 * Default cost of one EAGLE or MTP draft pass relative to a target decode step: the head is one
 * transformer layer plus the LM head (EAGLE, Li et al. 2024, s.3; DeepSeek-V3's MTP module, one
 * block and the shared output head), so its share of the matmul parameters a token passes.
 */
export function headCostFraction(model: ModelSpec): number {
  const counts = countParams(model);
  const scale = counts.total > 0 ? model.params_total / counts.total : 1;
  const lmHead = counts.lm_head * scale;
  const body = model.params_active - (counts.input_embedding + (model.tied_embeddings ? 0 : counts.lm_head)) * scale;
  return (body / model.layers + lmHead) / (body + lmHead);
}

export interface SpeculativeStepOptions extends StepModelOptions {
  speculative: SpeculativeSpec;
  /** the draft model's architecture, required for method draft */
  draftModel?: ModelSpec;
}

/** A step model under speculation, with what `perf` and the tests compare it to. */
export interface SpeculativeStepModel extends StepModel {
  /** the same replica without speculation, KV capacity included */
  readonly plain: StepModel;
  /** E: expected tokens per sequence per real step */
  readonly tokensPerStep: number;
  /** a real decode-only step (verification + k draft passes) of D sequences with C context tokens, ms */
  speculativeStepMs(decodeSeqs: number, decodeCtxTokens: number): number;
  /** the k draft passes of that step alone, ms */
  draftMs(decodeSeqs: number, decodeCtxTokens: number): number;
}

/** The drafter's cost: a model of its own (method draft) or a fraction of the target. */
interface Drafter {
  /** one pass: prefill of pt prompt tokens and/or one decode token for ds sequences */
  passMs(pt: number, pairs: number, ds: number, dctx: number): number;
  passFlops(pt: number, pairs: number, ds: number, dctx: number): number;
  passBytes(pt: number, pairs: number, ds: number, dctx: number): number;
  /** slope of one decode pass in its context tokens */
  msPerContextToken: number;
  /** memory it takes from the KV cache: weights over the replica, KV bytes per cached token */
  weightBytes: number;
  kvBytesPerToken: number;
}

function drafterFor(opts: SpeculativeStepOptions, g: StepGeometry, cal: CalibrationFactors): Drafter {
  const spec = opts.speculative;
  if (spec.method === 'draft') {
    if (!opts.draftModel) throw new UserError('speculative.draft_model: required with method draft');
    const d = buildStepGeometry({ ...opts, model: opts.draftModel, ep: 1 });
    return {
      passMs: (pt, pairs, ds, dctx) => stepTimeFrom(d, cal, pt, pairs, ds, dctx),
      passFlops: (pt, pairs, ds, dctx) => d.flops(pt, pairs, ds, dctx),
      passBytes: (pt, pairs, ds, dctx) => d.bytes(pt, pairs, ds, dctx),
      msPerContextToken: decodeMsPerContextTokenFrom(d, cal),
      // a copy per data-parallel group of the target
      weightBytes: d.weightBytesPerGpu * d.gpus * g.dataParallelGroups,
      kvBytesPerToken: d.kvBytesPerToken,
    };
  }
  const f = spec.draft_cost_fraction ?? headCostFraction(opts.model);
  return {
    passMs: (pt, pairs, ds, dctx) => f * stepTimeFrom(g, cal, pt, pairs, ds, dctx),
    passFlops: (pt, pairs, ds, dctx) => f * g.flops(pt, pairs, ds, dctx),
    passBytes: (pt, pairs, ds, dctx) => f * g.bytes(pt, pairs, ds, dctx),
    msPerContextToken: f * decodeMsPerContextTokenFrom(g, cal),
    // one more layer's weights and KV (the LM head is the target's own)
    weightBytes: g.weightBytesPerGpu * g.gpus / opts.model.layers,
    kvBytesPerToken: g.kvBytesPerToken / opts.model.layers,
  };
}

/** KV tokens left once the drafter's weights are loaded and every token also caches the drafter's KV. */
function speculativeKvCapacity(g: StepGeometry, drafter: Drafter, where: string): number {
  const bytes = g.kvCapacityTokens * g.kvBytesPerToken - drafter.weightBytes;
  const tokens = Math.floor(bytes / (g.kvBytesPerToken + drafter.kvBytesPerToken));
  if (!(tokens >= 1)) throw new UserError(`${where}: the drafter's weights leave no room for the KV cache; use more GPUs or a smaller draft model`);
  return tokens;
}

export function buildSpeculativeStepModel(opts: SpeculativeStepOptions, where = 'speculative'): SpeculativeStepModel {
  const cal = opts.calibration ?? DEFAULT_CALIBRATION;
  const g = buildStepGeometry(opts);
  const plain = stepModelFrom(g, cal);
  const drafter = drafterFor(opts, g, cal);
  const k = opts.speculative.tokens_per_step;
  const q = k + 1;
  const tokensPerStep = expectedTokensPerStep(acceptanceProfile(opts.speculative));
  const draftMs = (ds: number, dctx: number) => k * drafter.passMs(0, 0, ds, dctx);
  const speculativeStepMs = (ds: number, dctx: number) => stepTimeFrom(g, cal, 0, 0, ds, dctx, q) + draftMs(ds, dctx);
  const perContext = (decodeMsPerContextTokenFrom(g, cal, q) + k * drafter.msPerContextToken) / tokensPerStep;
  // the target's sliding windows, verified with q queries (a drafter's own windows are not counted)
  const perWindow = decodeWindowMsPerSequenceFrom(g, cal, q) / tokensPerStep;
  const intercept = (ds: number) => speculativeStepMs(ds, 0) / tokensPerStep;
  /** a real step: target (prefill chunks + verification), the drafter's prefill pass and its k decode passes */
  const realMs = (pt: number, pairs: number, ds: number, dctx: number) =>
    stepTimeFrom(g, cal, pt, pairs, ds, dctx, q) + (pt > 0 ? drafter.passMs(pt, pairs, 0, 0) : 0) + (ds > 0 ? draftMs(ds, dctx) : 0);
  /** one replica iteration: the decode share of a real step is spread over the E tokens it yields */
  const iterationMs = (pt: number, pairs: number, ds: number, dctx: number) => {
    if (pt <= 0) return ds > 0 ? intercept(ds) + perContext * dctx + perWindow * decodeWindows(g.slidingWindowTokens, ds, dctx) : 0;
    return realMs(pt, pairs, ds, dctx) - (ds > 0 ? (1 - 1 / tokensPerStep) * speculativeStepMs(ds, dctx) : 0);
  };
  // FLOPs and bytes of an iteration: the real step's, in the proportion of the iteration's time to it
  const share = (pt: number, pairs: number, ds: number, dctx: number) => {
    const real = realMs(pt, pairs, ds, dctx);
    return real > 0 ? iterationMs(pt, pairs, ds, dctx) / real : 0;
  };
  return {
    ...plain,
    kvCapacityTokens: speculativeKvCapacity(g, drafter, where),
    plain,
    tokensPerStep,
    speculativeStepMs,
    draftMs,
    stepTimeMs: iterationMs,
    decodeInterceptMs: intercept,
    decodeMsPerContextToken: perContext,
    decodeWindowMsPerSequence: perWindow,
    stepFlops: (pt, pairs, ds, dctx) => share(pt, pairs, ds, dctx) *
      (g.flops(pt, pairs, ds, dctx, q) + drafter.passFlops(pt, pairs, 0, 0) + k * drafter.passFlops(0, 0, ds, dctx)),
    stepBytes: (pt, pairs, ds, dctx) => share(pt, pairs, ds, dctx) *
      (g.bytes(pt, pairs, ds, dctx, q) + drafter.passBytes(pt, pairs, 0, 0) + k * drafter.passBytes(0, 0, ds, dctx)),
  };
}
