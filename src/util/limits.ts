/**
 * Ranges of the integers fleetsim reads. Counts (servers, instances, GPUs, tokens, queue bounds)
 * are stored in Int32Array slots (request records, event heap, rings, token traces) and used as
 * array lengths, so each must fit an int32: a trace prompt of 4,294,967,396 tokens used to wrap
 * to 100. Seeds name random streams by their decimal digits: beyond 2^53 consecutive seeds are
 * the same double (2^64 and 2^64 + 1), so every replication would draw the same numbers.
 */
export const INT32_MAX = 2 ** 31 - 1;

/** Largest seed: every seed in [0, 2^53) is an exact double, distinct from its neighbours. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

/** Default of limits.max_memory_gb: fits a laptop. The same on every machine, so a scenario accepted here is accepted everywhere (experiment/memory.ts). */
export const DEFAULT_MAX_MEMORY_GB = 4;
