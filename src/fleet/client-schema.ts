import { z } from 'zod';
import { nonNegInt, nonNegNum, posInt, posNum, prob, strict } from '../util/zod-helpers.ts';

/**
 * Client behaviour: timeouts, retries with backoff, jitter and a retry budget, users who give
 * up, and a circuit breaker. A preset fills in the defaults of a common LLM SDK; explicit fields
 * override it.
 */
export const ClientSchema = strict({
  /** openai-python and openai-node: 2 retries, 0.5 s initial backoff doubling to 8 s, jitter 25%, 600 s timeout. */
  preset: z.enum(['openai-python', 'openai-node', 'anthropic', 'none', 'aggressive']).optional(),
  /**
   * Per attempt: the client stops waiting (the server may still be working on it). At least a
   * millisecond: at 1e-300 ms, with immediate retries, every attempt timed out at the same instant
   * and the clock stood still until the wall budget ran out.
   */
  timeout_ms: posNum().min(1, { error: 'expected at least 1 ms (no client times out sooner)' }).optional(),
  max_retries: nonNegInt().optional(),
  backoff: strict({
    initial_ms: nonNegNum().optional(),
    max_ms: nonNegNum().optional(),
    multiplier: posNum().optional(),
    /** full: uniform(0, d); equal: d/2 + uniform(0, d/2); proportional: d x (1 - 0.25 u); none. */
    jitter: z.enum(['none', 'full', 'equal', 'proportional']).optional(),
  }).optional(),
  /** Which attempt outcomes are retried (429s are 'rejected'). */
  retry_on: z.array(z.enum(['failed', 'rejected', 'timed_out'])).optional(),
  /** Retries may be at most this fraction of first attempts (over the last 10 s), plus min_per_s. */
  retry_budget: strict({ ratio: nonNegNum(), min_per_s: nonNegNum().default(0) }).optional(),
  /** A user gives up this long after the first attempt: no retry starts later. */
  give_up_ms: posNum().optional(),
  circuit_breaker: strict({
    window_s: posNum().default(10),
    error_threshold: prob().default(0.5),
    min_requests: posInt().default(20),
    open_s: posNum().default(5),
  }).optional(),
});
export type ClientSpec = z.infer<typeof ClientSchema>;

export interface ClientConfig {
  timeout_ms: number;
  max_retries: number;
  initial_ms: number;
  max_ms: number;
  multiplier: number;
  jitter: 'none' | 'full' | 'equal' | 'proportional';
  retry_on: readonly ('failed' | 'rejected' | 'timed_out')[];
  budget?: { ratio: number; min_per_s: number };
  give_up_ms: number;
  breaker?: { window_s: number; error_threshold: number; min_requests: number; open_s: number };
}

const PRESETS: Record<NonNullable<ClientSpec['preset']>, Omit<ClientConfig, 'budget' | 'breaker'>> = {
  // openai-python _base_client.py: DEFAULT_TIMEOUT 600 s, DEFAULT_MAX_RETRIES 2,
  // INITIAL_RETRY_DELAY 0.5 s, MAX_RETRY_DELAY 8 s, jitter 1 - 0.25 * random().
  'openai-python': { timeout_ms: 600_000, max_retries: 2, initial_ms: 500, max_ms: 8000, multiplier: 2, jitter: 'proportional', retry_on: ['failed', 'rejected', 'timed_out'], give_up_ms: Infinity },
  // openai-node core.ts: the same defaults (maxRetries 2, timeout 10 min, 0.5 s .. 8 s, 25% jitter).
  'openai-node': { timeout_ms: 600_000, max_retries: 2, initial_ms: 500, max_ms: 8000, multiplier: 2, jitter: 'proportional', retry_on: ['failed', 'rejected', 'timed_out'], give_up_ms: Infinity },
  // anthropic-sdk-python: max_retries 2, 0.5 s .. 8 s, 25% jitter, 10 min timeout.
  anthropic: { timeout_ms: 600_000, max_retries: 2, initial_ms: 500, max_ms: 8000, multiplier: 2, jitter: 'proportional', retry_on: ['failed', 'rejected', 'timed_out'], give_up_ms: Infinity },
  none: { timeout_ms: Infinity, max_retries: 0, initial_ms: 0, max_ms: 0, multiplier: 1, jitter: 'none', retry_on: [], give_up_ms: Infinity },
  // The pathological client of retry storms: retries at once, no jitter.
  aggressive: { timeout_ms: 10_000, max_retries: 5, initial_ms: 0, max_ms: 0, multiplier: 1, jitter: 'none', retry_on: ['failed', 'rejected', 'timed_out'], give_up_ms: Infinity },
};

export function clientConfig(spec: ClientSpec): ClientConfig {
  const base = PRESETS[spec.preset ?? 'none'];
  return {
    timeout_ms: spec.timeout_ms ?? base.timeout_ms,
    max_retries: spec.max_retries ?? base.max_retries,
    initial_ms: spec.backoff?.initial_ms ?? base.initial_ms,
    max_ms: spec.backoff?.max_ms ?? base.max_ms,
    multiplier: spec.backoff?.multiplier ?? base.multiplier,
    jitter: spec.backoff?.jitter ?? base.jitter,
    retry_on: spec.retry_on ?? (spec.max_retries !== undefined && spec.max_retries > 0 && base.retry_on.length === 0 ? ['failed', 'rejected', 'timed_out'] : base.retry_on),
    budget: spec.retry_budget,
    give_up_ms: spec.give_up_ms ?? base.give_up_ms,
    breaker: spec.circuit_breaker,
  };
}
