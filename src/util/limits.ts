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

/**
 * Widest window of a time series, in s (1e12 s, about 31,700 years, as a trace's timestamps): a
 * scenario's window_s of 1e308 made window_ms infinite (window_s null in summary.json, NaN window
 * starts), and a run file's window_ms of 1e308 ms was merged by `fleetsim merge`.
 */
export const MAX_WINDOW_S = 1e12;
