import type { RequestClasses } from '../classes.ts';
import { F_ABANDONED, F_TPOT_MET, F_TTFT_MET, type RequestPool } from '../request-pool.ts';

/**
 * The pipeline's per-class measurements (request classes, src/fleet/classes.ts): kept here so
 * the pipeline calls one function at each point. Latencies and tokens of counted attempts; the
 * targets' flags of every attempt.
 */

/**
 * The first token: whether it met its class's TTFT target (every attempt: goodput counts what
 * completes inside the measured window, whenever it arrived), and for a counted attempt the
 * class's TTFT.
 */
export function classFirstToken(classes: RequestClasses, pool: RequestPool, req: number, ttft_ms: number): void {
  const cls = pool.requestClass(req);
  if (pool.counted(req) === 1) classes.metrics[cls].ttft.add(ttft_ms);
  if (ttft_ms <= classes.ttftTarget_ms[cls]) pool.setFlags(req, pool.flags(req) | F_TTFT_MET);
}

/** The last token at t_ms: whether it met the TPOT target (a one-token response meets any), and for a counted attempt the class's TPOT and tokens. */
export function classDone(classes: RequestClasses, pool: RequestPool, req: number, tpot_ms: number, t_ms: number): void {
  const cls = pool.requestClass(req);
  if (tpot_ms <= classes.tpotTarget_ms[cls]) pool.setFlags(req, pool.flags(req) | F_TPOT_MET);
  if (pool.counted(req) !== 1) return;
  if (pool.outputTokens(req) > 1) classes.metrics[cls].tpot.add(tpot_ms);
  classes.addTokens(cls, pool.promptTokens(req) + pool.outputTokens(req), t_ms);
}

/**
 * A completed attempt, ending e2e_ms after it was sent, that met every target of its class's SLO
 * (TTFT, TPOT and e2e) for a client still waiting: a class whose requests all missed its e2e
 * target read 100% attainment when only the TTFT and TPOT flags were tested. The e2e is the
 * attempt's, as its TTFT is (the same clock the flags are set on).
 */
export function metTargets(classes: RequestClasses, pool: RequestPool, req: number, e2e_ms: number): boolean {
  const f = pool.flags(req);
  return (f & F_ABANDONED) === 0 && (f & F_TTFT_MET) !== 0 && (f & F_TPOT_MET) !== 0 && e2e_ms <= classes.e2eTarget_ms[pool.requestClass(req)];
}
