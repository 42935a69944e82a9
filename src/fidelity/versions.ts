/**
 * Stack versions as corpus rows give them ("0.9.0", "v0.12", "1.0", "unknown"): compared by their
 * numbers, part by part. A version without numbers ("unknown", a build id) counts as current, the
 * era a reader of an undated figure would assume.
 */
function parts(version: string): number[] | null {
  const numbers = version.match(/\d+/g);
  return numbers ? numbers.map(Number) : null;
}

/** version >= minimum (an unnumbered version is current: true). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = parts(version), b = parts(minimum);
  if (a === null || b === null) return true;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * The first NIM for LLMs release on vLLM alone: 2.0 replaced 1.x's several backends with one, vLLM
 * (NIM 2.0.1 release notes: "ships with vLLM 0.17.1 as the sole inference backend"; each 2.0.x
 * release names the vLLM it upgrades to), so its rows take vLLM's V1 profile (predict.ts) and a
 * TensorRT-LLM setting on one is refused (corpus.ts). An unnumbered NIM version counts as current,
 * and so as vLLM.
 */
export const NIM_VLLM_SINCE = '2.0';

/**
 * The first TGI release with chunked prefill (3.0, 2024-12), whose router no longer holds prompts
 * back the way the `tgi` profile (2.x) models: later ones get the default profile (predict.ts), and
 * an earlier one's row may not say it chunked (corpus.ts).
 */
export const TGI_CHUNKED_SINCE = '3.0';

/** A row of this stack and version serves with TensorRT-LLM: trtllm, or NIM before 2.0. */
export function servesWithTensorRtLlm(stack: string, version: string): boolean {
  return stack === 'trtllm' || (stack === 'nim' && !versionAtLeast(version, NIM_VLLM_SINCE));
}

/** The first vLLM release whose default engine is V1 (0.8.0, 2025-03): the `vllm` profile's era, and the first with asynchronous scheduling. */
export const VLLM_V1_DEFAULT_SINCE = '0.8';
/** The first vLLM release with multi-step scheduling, `--num-scheduler-steps` (0.6.0, 2024-09: the vLLM team's v0.6.0 blog). */
export const VLLM_MULTI_STEP_SINCE = '0.6';
