import type { FaultBand } from '../faults/types.ts';
import { fmtSeconds } from '../util/format-number.ts';
import { round } from './round.ts';
import type { VerdictWarning } from './verdict.ts';

/**
 * Faults against the measured period. A fault set inside the warm-up happened, but no figure of the
 * run counts it: a latency fault at 10-55 s of a 60 s warm-up read "0% errors, recovered in 45 s,
 * within" beside the published figures, where the same fault measured failed 94% of requests.
 */

/**
 * The faults that happened within the run (one set at or after its end, a scenario shortened with
 * --set duration_s, did not: pastEndFaultWarning names it), each marked when the warm-up hides all
 * or part of it, and cut to the run's end when it outlasts the run.
 */
export function faultsOfRun(bands: readonly FaultBand[], duration_ms: number, warmup_s: number): FaultBand[] {
  const end_s = round(duration_ms / 1000); // the summary's duration_s, which a cut fault's end_s equals
  return bands
    .filter((b) => b.start_s < end_s)
    .map((b): FaultBand => (b.start_s >= warmup_s ? b : { ...b, measured: b.end_s <= warmup_s ? 'no' : 'partly' }))
    .map((b) => cutToRunEnd(b, end_s));
}

/** A time past the run's end did not happen within it. */
const withinRun = (t_s: number | null, end_s: number): number | null => (t_s !== null && t_s <= end_s ? t_s : null);

/**
 * A fault outlasting the run as far as the run saw it: it ends with the run, what came later (its
 * detection, mitigation, recovery) is null, and it is partly measured. Its end and recovery were
 * reported past the run's end, as if the run had seen them.
 */
function cutToRunEnd(b: FaultBand, end_s: number): FaultBand {
  if (!outlastsRun(b, end_s)) return b;
  return { ...b, detected_s: withinRun(b.detected_s, end_s), mitigated_s: withinRun(b.mitigated_s, end_s), end_s: Math.min(b.end_s, end_s), recovered_s: withinRun(b.recovered_s, end_s), measured: b.measured === 'no' ? 'no' : 'partly' };
}

const outlastsRun = (b: FaultBand, end_s: number): boolean => [b.detected_s, b.mitigated_s, b.end_s, b.recovered_s].some((t) => t !== null && t > end_s);

/**
 * A fault as the warnings name it: its index, kind, target and times (`more` inside the
 * parentheses), its times told apart from a whole second (fmtSeconds): faults at 59.999 and 60 s
 * of a 60 s run both read "60-70 s", one outlasting the run, the other not simulated.
 */
export function faultLabel(b: FaultBand, more = ''): string {
  return `faults[${b.index}] (${b.kind} on ${b.target}, ${fmtSeconds(b.start_s)}-${fmtSeconds(b.end_s)} s${more})`;
}

/** The faults set at or after the run's end (end_s): not simulated. */
export const faultsSetAfterEnd = (bands: readonly FaultBand[], end_s: number): FaultBand[] => bands.filter((b) => b.start_s >= end_s);

/** The run's warning of faults set at or after its end (not simulated) or outlasting it (cut to it). */
export function pastEndFaultWarning(bands: readonly FaultBand[], run: { duration_s: number; complete: boolean }): VerdictWarning | undefined {
  const end_s = run.duration_s;
  const after = new Set(faultsSetAfterEnd(bands, end_s));
  const past = bands.filter((b) => after.has(b) || outlastsRun(b, end_s));
  if (past.length === 0) return undefined;
  const parts = past.map((b) => {
    const what = faultLabel(b, b.recovered_s !== null && b.recovered_s > b.end_s ? `, recovered ${fmtSeconds(b.recovered_s)} s` : '');
    return after.has(b) ? `${what} is set at or after it: not simulated, not measured` : `${what} outlasts it: reported up to ${fmtSeconds(end_s)} s only`;
  });
  const advice = run.complete ? '. Set duration_s past a fault\'s recovery to measure it whole' : '';
  return { code: 'fault_past_end', message: `faults past the run's end (${fmtSeconds(end_s)} s): ${parts.join('; ')}${advice}` };
}

/** The faults whose effect some figure of the run counts. */
export const measuredFaults = (faults: readonly FaultBand[]): FaultBand[] => faults.filter((b) => b.measured !== 'no');

/** Why a run measured no fault: each that happened ended in the warm-up, or none happened (none planned, set after the end, or the run cut short before). */
export function unmeasuredReason(faults: readonly FaultBand[], run: { warmup_s: number; complete: boolean; faults_planned: number }): string {
  if (faults.length > 0) return `the fault ends in the warm-up (warmup_s ${fmtSeconds(run.warmup_s)})`;
  if (run.faults_planned === 0) return 'the variant has none';
  return run.complete ? 'its faults are set after the run ends' : 'it stopped before its first fault';
}

/** The run's warning of faults the warm-up hides, wholly or in part. */
export function warmupFaultWarning(faults: readonly FaultBand[], warmup_s: number): VerdictWarning | undefined {
  const hidden = faults.filter((b) => b.start_s < warmup_s); // not those partly measured for outlasting the run
  if (hidden.length === 0) return undefined;
  const parts = hidden.map((b) => {
    const what = faultLabel(b);
    return b.measured === 'no' ? `${what} ends in it: not measured` : `${what} begins in it: measured from ${fmtSeconds(warmup_s)} s on only`;
  });
  return { code: 'fault_in_warmup', message: `faults in the warm-up (the first ${fmtSeconds(warmup_s)} s, which no figure counts): ${parts.join('; ')}. Set at_s after warmup_s to measure a fault` };
}
