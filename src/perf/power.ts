import { UserError } from '../errors.ts';
import type { GpuId, GpuSpec } from './hardware.ts';
import { decodeWindows, type StepModel } from './step.ts';

/**
 * GPU power from what the GPU does (fleetsim 0.2, 2026-12; docs/energy.md gives the evidence).
 *
 * A GPU draws `idle_w` when nothing runs. During an iteration it draws
 *
 *   P = idle_w + (tdp_w - idle_w) * activity,   activity = min(1, c + MEMORY_BOUND_ACTIVITY * m)
 *
 * where c is the iteration's MFU over the MFU of a large compute-bound prefill on the same model,
 * GPU and engine profile (the most the step model lets that replica reach), clipped to 1, and m is
 * its HBM bandwidth utilisation (bytes moved over the peak bandwidth and the iteration's time). So
 * a compute-bound prefill draws TDP, a small-batch decode at 50-65% of the bandwidth about
 * `idle + 0.5 (TDP - idle)`, and a large decode batch more, rising with its compute share.
 *
 * A power cap lowers the SM clock until the draw fits (DVFS): dynamic power goes as f^3 (voltage
 * scales with frequency), so a step that would draw P runs at the clock ratio
 * s = ((cap - idle) / (P - idle))^(1/3), not below MIN_CLOCK_RATIO. Its compute-bound share c of
 * the time stretches by 1/s; the memory-bound rest keeps the HBM clock and does not.
 */

/**
 * Share of TDP a GPU draws idle (clocks parked, memory powered), per GPU type. Measured figures
 * where published, otherwise assumed (named as such in docs/energy.md):
 * - H100/H200 SXM: 80 W of 700 (H200 idle measured at 80.3 W, Serial Alice GPU energy benchmark,
 *   2026; nvidia-smi on idle HGX H100 boards commonly shows 60-80 W): 0.11.
 * - A100 SXM: about 50-60 W of 400 as nvidia-smi shows idle in P0: 0.13 (assumed from reports).
 *   The A100 PCIe cards (250 and 300 W) are taken alike, unmeasured.
 * - the rest: 0.12, assumed (no measurement gathered).
 */
export const IDLE_SHARE_OF_TDP: Readonly<Record<GpuId, number>> = {
  'a100-40gb': 0.13, 'a100-80gb': 0.13, 'a100-40gb-pcie': 0.13, 'a100-80gb-pcie': 0.13, 'v100-16gb': 0.12, 'v100-32gb': 0.12, t4: 0.12, a10g: 0.12, l4: 0.12,
  'h100-80gb': 0.11, 'h100-80gb-hgx4': 0.11, 'h100-pcie': 0.12, 'h100-nvl': 0.12, h200: 0.11, h20: 0.12, l40s: 0.12, b200: 0.12, gb200: 0.12, mi300x: 0.12, mi325x: 0.12,
};

/**
 * Share of the idle-to-TDP span per unit of HBM bandwidth utilisation (2026-12-05). Fitted on the
 * 16 vLLM runs of Argonne's LLM-Inference-Bench power study (Plots/Fig_16_a_b/power_results.csv:
 * Llama 2 7B and Llama 3 8B, 1,024 tokens in and out, batch 1-64, one A100 40GB or H100; mean GPU
 * power measured 222-595 W), each run simulated on the replica at its engine's profile: 10.6% MAPE;
 * its 16 TensorRT-LLM runs, not fitted on, 11.3% (the form before, m over a one-sequence decode's
 * utilisation with 0.35, read all 32 runs 8-43% low, 27.9% and 22.7%: a decode step's draw kept
 * rising with the batch, where m was clipped at the one-sequence decode's). docs/energy.md gives
 * the table; test/perf/power-argonne.test.ts holds it.
 */
export const MEMORY_BOUND_ACTIVITY = 0.9;

/** Lowest SM clock ratio a cap may force (H100: 345 MHz minimum graphics clock of 1,980). */
export const MIN_CLOCK_RATIO = 0.2;

/** What one replica's GPUs draw, per GPU, and how the step model's utilisations map to it. */
export interface PowerModel {
  readonly idle_w: number;
  readonly tdp_w: number;
  /** undefined: uncapped */
  readonly cap_w?: number;
  /** MFU at which an iteration counts as fully compute-bound (c = 1) */
  readonly computeSaturationMfu: number;
  /** all the replica's GPUs: to turn FLOPs and bytes into utilisations */
  readonly peakFlopsPerS: number;
  readonly peakBytesPerS: number;
}

/** Tokens of the reference prefill that defines full compute-boundness: one long prompt. */
const SATURATING_PREFILL_TOKENS = 4096;

/** The power model of a replica whose step model is `step` (uncapped: the saturation points come from its own steps). */
export function buildPowerModel(step: StepModel, gpu: GpuSpec, cap_w?: number, where = 'power_cap_w'): PowerModel {
  const idle_w = gpu.tdp_w * IDLE_SHARE_OF_TDP[gpu.id];
  if (cap_w !== undefined && !(cap_w > idle_w && cap_w <= gpu.tdp_w)) {
    throw new UserError(`${where}: expected watts above the ${gpu.id}'s idle draw of ${round1(idle_w)} W and at most its TDP of ${gpu.tdp_w} W, got ${cap_w}`);
  }
  const pt = SATURATING_PREFILL_TOKENS, pairs = pt * pt / 2;
  const prefill_ms = step.stepTimeMs(pt, pairs, 0, 0);
  return {
    idle_w, tdp_w: gpu.tdp_w, cap_w,
    computeSaturationMfu: step.stepFlops(pt, pairs, 0, 0) / (step.peakFlopsPerS * prefill_ms / 1000),
    peakFlopsPerS: step.peakFlopsPerS,
    peakBytesPerS: step.peakBytesPerS,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** c: compute-boundness of work `flops` done in `ms` (0..1). */
export function computeShare(pm: PowerModel, flops: number, ms: number): number {
  return ms > 0 ? Math.min(1, flops / (pm.peakFlopsPerS * ms / 1000) / pm.computeSaturationMfu) : 0;
}

/** Per-GPU draw, uncapped, of work `flops` and `bytes` done in `ms` of busy time. */
export function uncappedPowerW(pm: PowerModel, flops: number, bytes: number, ms: number): number {
  if (!(ms > 0)) return pm.idle_w;
  const c = computeShare(pm, flops, ms);
  const m = bytes / (pm.peakBytesPerS * ms / 1000);
  return pm.idle_w + (pm.tdp_w - pm.idle_w) * Math.min(1, c + MEMORY_BOUND_ACTIVITY * m);
}

/** Per-GPU draw of that busy time, the cap applied (the clock lowered until it fits). */
export function busyPowerW(pm: PowerModel, flops: number, bytes: number, ms: number): number {
  const p = uncappedPowerW(pm, flops, bytes, ms);
  return pm.cap_w !== undefined && p > pm.cap_w ? pm.cap_w : p;
}

/** The SM clock ratio a cap forces on a step that would draw `power_w` uncapped (1: no throttling). */
export function clockRatio(pm: PowerModel, power_w: number): number {
  if (pm.cap_w === undefined || power_w <= pm.cap_w) return 1;
  return Math.max(MIN_CLOCK_RATIO, Math.cbrt((pm.cap_w - pm.idle_w) / (power_w - pm.idle_w)));
}

/** Time of a step of `ms` uncapped under the cap: its compute-bound share stretched by 1/s. */
function cappedMs(pm: PowerModel, flops: number, bytes: number, ms: number): number {
  const s = clockRatio(pm, uncappedPowerW(pm, flops, bytes, ms));
  if (s === 1) return ms;
  const c = computeShare(pm, flops, ms);
  return ms * (1 - c + c / s);
}

/**
 * The step model of a power-capped replica. A decode-only step stays a line in its context
 * tokens (the replica plans runs of decode steps with it): its intercept is capped as a step of
 * its own, and the per-context-token slope as the work one more context token adds (its KV read
 * and attention), each with its own compute share and draw.
 */
export function cappedStepModel(step: StepModel, pm: PowerModel): StepModel {
  if (pm.cap_w === undefined) return step;
  const capped = (pt: number, pairs: number, ds: number, dctx: number) =>
    cappedMs(pm, step.stepFlops(pt, pairs, ds, dctx), step.stepBytes(pt, pairs, ds, dctx), step.stepTimeMs(pt, pairs, ds, dctx));
  // one context token's share of a decode step: the difference of two steps 1,024 tokens apart
  const probe = 1024;
  const slopeFlops = (step.stepFlops(0, 0, 1, probe) - step.stepFlops(0, 0, 1, 0)) / probe;
  const slopeBytes = (step.stepBytes(0, 0, 1, probe) - step.stepBytes(0, 0, 1, 0)) / probe;
  const decodeMsPerContextToken = cappedMs(pm, slopeFlops, slopeBytes, step.decodeMsPerContextToken);
  // a window token is a context token's work (the same heads over fewer layers' keys): it slows alike
  const decodeWindowMsPerSequence = step.decodeMsPerContextToken > 0 ? step.decodeWindowMsPerSequence * decodeMsPerContextToken / step.decodeMsPerContextToken : 0;
  const windows = (ds: number, dctx: number) => decodeWindowMsPerSequence * decodeWindows(step.slidingWindowTokens, ds, dctx);
  return {
    ...step,
    stepTimeMs: (pt, pairs, ds, dctx) => (pt === 0 ? capped(0, 0, ds, 0) + decodeMsPerContextToken * dctx + windows(ds, dctx) : capped(pt, pairs, ds, dctx)),
    decodeInterceptMs: (ds) => capped(0, 0, ds, 0),
    decodeMsPerContextToken,
    decodeWindowMsPerSequence,
  };
}
