import type { StepModel } from '../../perf/step.ts';

/**
 * Counters of one GPU replica, summed over iterations (O(1) per iteration). Time-weighted
 * figures are integrals over busy time: the KV cache is empty whenever the replica is idle.
 */
export class ReplicaStats {
  /** Simulated time spent running iterations (a failure counts the partial iteration). */
  busy_ms = 0;
  iterations = 0;
  /** Sum over iterations of the sequences in the batch (decoding + prefilling). */
  batch_size_sum = 0;
  /** Sum over iterations of the decoding sequences in the batch. */
  decode_seqs_sum = 0;
  /** Integral of allocated KV (blocks x block size, in tokens) over busy time. */
  kv_token_ms = 0;
  /** Prompt tokens processed, recomputation after preemption included. */
  prefill_tokens = 0;
  /** Of prefill_tokens, those spent again because of preemption: recompute passes, and first passes cut short. */
  recompute_tokens = 0;
  /** Tokens produced by decode steps (one per decoding sequence per iteration). */
  decode_tokens = 0;
  /** Output tokens emitted: decode tokens plus the token each completed prefill samples. */
  output_tokens = 0;
  flops = 0;
  bytes = 0;
  /** Of busy_ms, flops and bytes: those of iterations that prefilled (the rest decoded only); the power model reads them (perf/power.ts). */
  prefill_busy_ms = 0;
  prefill_flops = 0;
  prefill_bytes = 0;
  preemptions = 0;
  /** Largest allocated KV (blocks x block size) seen at any iteration. */
  max_kv_used_tokens = 0;
  max_waiting = 0;
  max_running = 0;
  submitted = 0;
  completed = 0;
  rejected_queue_full = 0;
  rejected_too_long = 0;
  /** Requests handed back by fail(). */
  lost = 0;
  /** Requests aborted (their client left and the stack cancels: abort()). */
  aborted = 0;
  /** Output tokens the aborted requests had still to produce: decode work saved by cancelling. */
  aborted_output_tokens = 0;
  /** Prompt tokens admissions found in the prefix cache and did not prefill (the prefill tokens saved), counted as their iterations end. */
  cached_prompt_tokens = 0;
  /** Shared-prefix KV blocks evicted from the prefix cache to make room. */
  prefix_evicted_blocks = 0;
  /** Of cached_prompt_tokens, those loaded back from host memory and from local NVMe (kv-tiers.ts). */
  host_hit_tokens = 0;
  nvme_hit_tokens = 0;
  /** Prefix blocks that fell off the last KV tier (gone). */
  kv_tier_dropped_blocks = 0;
  /** Time iterations waited for transfers between HBM and the tiers (loads, swap-outs, swap-ins), counted as each iteration ends. */
  kv_transfer_ms = 0;
  /** Time the iteration in flight has waited so far for its transfers (a reading's, not counted above until it ends). */
  kv_transfer_unfinished_ms = 0;
  /** Preemptions that swapped to host memory, and those that recomputed because the host tier was full. */
  swap_outs = 0;
  swap_fallbacks = 0;

  reset(): void {
    const fresh = new ReplicaStats();
    Object.assign(this, fresh);
  }

  merge(o: ReplicaStats): void {
    this.busy_ms += o.busy_ms;
    this.iterations += o.iterations;
    this.batch_size_sum += o.batch_size_sum;
    this.decode_seqs_sum += o.decode_seqs_sum;
    this.kv_token_ms += o.kv_token_ms;
    this.prefill_tokens += o.prefill_tokens;
    this.recompute_tokens += o.recompute_tokens;
    this.decode_tokens += o.decode_tokens;
    this.output_tokens += o.output_tokens;
    this.flops += o.flops;
    this.bytes += o.bytes;
    this.prefill_busy_ms += o.prefill_busy_ms;
    this.prefill_flops += o.prefill_flops;
    this.prefill_bytes += o.prefill_bytes;
    this.preemptions += o.preemptions;
    this.max_kv_used_tokens = Math.max(this.max_kv_used_tokens, o.max_kv_used_tokens);
    this.max_waiting = Math.max(this.max_waiting, o.max_waiting);
    this.max_running = Math.max(this.max_running, o.max_running);
    this.submitted += o.submitted;
    this.completed += o.completed;
    this.rejected_queue_full += o.rejected_queue_full;
    this.rejected_too_long += o.rejected_too_long;
    this.lost += o.lost;
    this.aborted += o.aborted;
    this.aborted_output_tokens += o.aborted_output_tokens;
    this.cached_prompt_tokens += o.cached_prompt_tokens;
    this.prefix_evicted_blocks += o.prefix_evicted_blocks;
    this.host_hit_tokens += o.host_hit_tokens;
    this.nvme_hit_tokens += o.nvme_hit_tokens;
    this.kv_tier_dropped_blocks += o.kv_tier_dropped_blocks;
    this.kv_transfer_ms += o.kv_transfer_ms;
    this.kv_transfer_unfinished_ms += o.kv_transfer_unfinished_ms;
    this.swap_outs += o.swap_outs;
    this.swap_fallbacks += o.swap_fallbacks;
  }
}

/** Derived utilisation figures of one replica (or of merged stats of `replicas` identical replicas). */
export interface ReplicaUtilisation {
  busy_fraction: number;
  /** Mean sequences per iteration. */
  mean_batch_size: number;
  /** Time-average allocated KV / KV capacity, over the whole elapsed time. */
  kv_utilization: number;
  /** Output tokens per second of simulated time. */
  output_tokens_per_s: number;
  /** Prompt + output tokens processed per second (recomputation included). */
  tokens_per_s: number;
  /** Model FLOPs utilisation: FLOPs / (peak FLOP/s x elapsed time). */
  mfu: number;
  /** Memory-bandwidth utilisation: bytes / (peak B/s x elapsed time). */
  bandwidth_utilization: number;
  /** MFU over busy time only (how well the iterations themselves use the GPUs). */
  mfu_busy: number;
  bandwidth_utilization_busy: number;
}

/**
 * Utilisation over `elapsed_ms` of simulated time. `replicas` scales the denominators when the
 * stats are merged over several identical replicas.
 */
export function replicaUtilisation(s: ReplicaStats, step: StepModel, kvCapacityTokens: number, elapsed_ms: number, replicas = 1): ReplicaUtilisation {
  const el = elapsed_ms * replicas;
  const sec = elapsed_ms / 1000;
  const div = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    busy_fraction: div(s.busy_ms, el),
    mean_batch_size: div(s.batch_size_sum, s.iterations),
    kv_utilization: div(s.kv_token_ms, kvCapacityTokens * el),
    output_tokens_per_s: div(s.output_tokens, sec),
    tokens_per_s: div(s.prefill_tokens + s.decode_tokens, sec),
    mfu: div(s.flops, (step.peakFlopsPerS * el) / 1000),
    bandwidth_utilization: div(s.bytes, (step.peakBytesPerS * el) / 1000),
    mfu_busy: div(s.flops, (step.peakFlopsPerS * s.busy_ms) / 1000),
    bandwidth_utilization_busy: div(s.bytes, (step.peakBytesPerS * s.busy_ms) / 1000),
  };
}
