import { UserError } from '../errors.ts';
import { quote } from '../util/excerpt.ts';
import type { ModelShape } from './shape.ts';

type Json = Record<string, unknown>;

/** A transformer layer's projections, each a weight matrix of its own. */
const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
type Projection = (typeof PROJECTIONS)[number];

/** What a `modules_to_not_convert` entry inside a layer names: the projections it keeps in 16 bits. */
const LAYER_MODULES: Readonly<Record<string, readonly Projection[]>> = {
  self_attn: ['q', 'k', 'v', 'o'],
  'self_attn.q_proj': ['q'],
  'self_attn.k_proj': ['k'],
  'self_attn.v_proj': ['v'],
  'self_attn.o_proj': ['o'],
  'self_attn.qkv_proj': ['q', 'k', 'v'],
  mlp: ['gate', 'up', 'down'],
  'mlp.gate_proj': ['gate'],
  'mlp.up_proj': ['up'],
  'mlp.down_proj': ['down'],
  'mlp.gate_up_proj': ['gate', 'up'],
};

/** The modules of a quantised checkpoint kept in 16 bits, as ModelShape records them. */
export type UnquantizedModules = Pick<ModelShape, 'unquantized_layer_params' | 'unquantized_lm_head' | 'unquantized_embedding'>;

const EXPECTED = 'lm_head, model.embed_tokens, or model.layers.N.self_attn[.q_proj|.k_proj|.v_proj|.o_proj|.qkv_proj] or model.layers.N.mlp[.gate_proj|.up_proj|.down_proj|.gate_up_proj], N a layer index or *';

/**
 * The weights a quantised checkpoint keeps in 16 bits: its quantization_config's
 * `modules_to_not_convert`. Meta's FP8 release of Llama 3.1 405B (fbgemm_fp8, row-wise scales)
 * lists every layer's q/k/v/o projections, the first and last layers' MLPs and the LM head (the
 * Llama 3 paper, section 6.2: the feed-forward layers are quantised, self-attention is not):
 * about 61 GB of weights per GPU at TP 8 where an FP8 throughout holds 51. Read for dense decoders
 * with standard attention; an entry the reader cannot place (an expert, a router, an MLA
 * projection, a layer past the model's) is refused, never sized by guess. A checkpoint whose
 * format is 16-bit but for its experts (gpt-oss's MXFP4) has nothing to keep: undefined.
 */
export function readUnquantizedModules(configs: readonly Json[], shape: ModelShape, file: string): UnquantizedModules | undefined {
  const where = `${file}: quantization_config.modules_to_not_convert`;
  for (const cfg of configs) {
    const q = cfg.quantization_config;
    if (typeof q !== 'object' || q === null || Array.isArray(q)) continue;
    const list = (q as Json).modules_to_not_convert;
    if (list === undefined || list === null || (q as Json).quant_method === 'mxfp4') return undefined;
    if (!Array.isArray(list) || !list.every((e) => typeof e === 'string')) throw new UserError(`${where}: expected a list of module names, got ${quote(list)}`);
    return placeEntries(list as string[], shape, where);
  }
  return undefined;
}

function placeEntries(entries: readonly string[], shape: ModelShape, where: string): UnquantizedModules | undefined {
  const kept = new Set<string>();
  let lmHead = false, embedding = false;
  for (const raw of entries) {
    const entry = raw.endsWith('.weight') ? raw.slice(0, -'.weight'.length) : raw;
    if (entry === 'lm_head') lmHead = true;
    else if (entry === 'model.embed_tokens' || entry === 'embed_tokens') embedding = true;
    else for (const key of layerProjections(entry, shape, where, raw)) kept.add(key);
  }
  if (kept.size === 0 && !lmHead && !embedding) return undefined;
  let params = 0;
  for (const key of kept) params += projectionParams(shape, key.slice(key.indexOf(':') + 1) as Projection);
  return {
    ...(params > 0 ? { unquantized_layer_params: params } : {}),
    ...(lmHead ? { unquantized_lm_head: true } : {}),
    ...(embedding ? { unquantized_embedding: true } : {}),
  };
}

/** The (layer:projection) keys a `model.layers.N.<module>` entry names; refused when it names anything else. */
function layerProjections(entry: string, shape: ModelShape, where: string, raw: string): string[] {
  const m = /^model\.layers\.(\d+|\*)\.(.+)$/.exec(entry);
  const named = m && Object.hasOwn(LAYER_MODULES, m[2]) ? LAYER_MODULES[m[2]] : undefined;
  // a whole MLP without a gate (GPT-style up and down) keeps the two it has
  const module = named && m![2] === 'mlp' && shape.mlp !== 'gated' ? (['up', 'down'] as const) : named;
  const refuse = (why: string) => new UserError(`${where}: cannot place ${quote(raw)} (${why}); expected ${EXPECTED}; refusing to size it by guess`);
  if (!m || module === undefined) throw refuse('not a module the reader places');
  const layer = m[1] === '*' ? -1 : Number(m[1]);
  if (layer >= shape.layers) throw refuse(`the model has ${shape.layers} layers`);
  const mlp = module.some((p) => p === 'gate' || p === 'up' || p === 'down');
  if (mlp && shape.experts > 1) throw refuse('16-bit experts or routers are not modelled');
  if (!mlp && shape.mla) throw refuse('an MLA model\'s attention projections are not the q/k/v/o this reads');
  if (shape.mlp !== 'gated' && module.includes('gate')) throw refuse('the model\'s MLP has no gate projection');
  const layers = layer < 0 ? Array.from({ length: shape.layers }, (_, i) => i) : [layer];
  return layers.flatMap((l) => module.map((p) => `${l}:${p}`));
}

/** Weights (and biases) of one projection of one layer of a dense decoder with standard attention. */
function projectionParams(s: ModelShape, p: Projection): number {
  const h = s.hidden_size;
  const qDim = s.attention_heads * s.head_dim;
  const kvDim = s.kv_heads * s.head_dim;
  const attnBias = (s.attention_bias ?? s.biases) ? 1 : 0;
  const mlpBias = (s.mlp_bias ?? s.biases) ? 1 : 0;
  const I = s.intermediate_size;
  switch (p) {
    case 'q': return h * qDim + attnBias * qDim;
    case 'k':
    case 'v': return h * kvDim + attnBias * kvDim;
    case 'o': return qDim * h + attnBias * h;
    case 'gate':
    case 'up': return h * I + mlpBias * I;
    case 'down': return I * h + mlpBias * h;
  }
}
