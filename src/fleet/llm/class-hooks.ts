import type { RequestClasses } from '../classes.ts';
import { F_ABANDONED, F_TPOT_MET, F_TTFT_MET, type RequestPool } from '../request-pool.ts';

/**
 * The pipeline's per-class measurements (request classes, src/fleet/classes.ts): kept here so
 * the pipeline calls one function at each point. Counted attempts only.
 */

/** The first token: the class's TTFT, and whether it met its target. */
export function classFirstToken(classes: RequestClasses, pool: RequestPool, req: number, ttft_ms: number): void {
  const cls = pool.requestClass(req);
  classes.metrics[cls].ttft.add(ttft_ms);
  if (ttft_ms <= classes.ttftTarget_ms[cls]) pool.setFlags(req, pool.flags(req) | F_TTFT_MET);
}

/** The last token at t_ms: the class's TPOT (a one-token response has none and meets any target) and its tokens. */
export function classDone(classes: RequestClasses, pool: RequestPool, req: number, tpot_ms: number, t_ms: number): void {
  const cls = pool.requestClass(req);
  if (pool.outputTokens(req) > 1) classes.metrics[cls].tpot.add(tpot_ms);
  if (tpot_ms <= classes.tpotTarget_ms[cls]) pool.setFlags(req, pool.flags(req) | F_TPOT_MET);
  classes.addTokens(cls, pool.promptTokens(req) + pool.outputTokens(req), t_ms);
}

/** A completed attempt counts for goodput: counted, for a client still waiting, TTFT and TPOT met. */
export function isGood(pool: RequestPool, req: number): boolean {
  const f = pool.flags(req);
  return pool.counted(req) === 1 && (f & F_ABANDONED) === 0 && (f & F_TTFT_MET) !== 0 && (f & F_TPOT_MET) !== 0;
}
