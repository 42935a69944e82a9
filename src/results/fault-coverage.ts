import type { FaultBand } from '../faults/types.ts';
import { fmt } from '../util/format-number.ts';
import type { VerdictWarning } from './verdict.ts';

/**
 * Faults against the measured period. A fault set inside the warm-up happened, but no figure of the
 * run counts it: a latency fault at 10-55 s of a 60 s warm-up read "0% errors, recovered in 45 s,
 * within" beside the published figures, where the same fault measured failed 94% of requests.
 */

/**
 * The faults that happened within the run (one set after its end, a scenario shortened with --set
 * duration_s, did not), each marked when the warm-up hides all or part of it.
 */
export function faultsOfRun(bands: readonly FaultBand[], duration_ms: number, warmup_s: number): FaultBand[] {
  return bands.filter((b) => b.start_s * 1000 < duration_ms).map((b) => (b.start_s >= warmup_s ? b : { ...b, measured: b.end_s <= warmup_s ? 'no' : 'partly' }));
}

/** The faults whose effect some figure of the run counts. */
export const measuredFaults = (faults: readonly FaultBand[]): FaultBand[] => faults.filter((b) => b.measured !== 'no');

/** Why a run measured no fault: each that happened ended in the warm-up, or none happened (none planned, set after the end, or the run cut short before). */
export function unmeasuredReason(faults: readonly FaultBand[], run: { warmup_s: number; complete: boolean; faults_planned: number }): string {
  if (faults.length > 0) return `the fault ends in the warm-up (warmup_s ${fmt(run.warmup_s)})`;
  if (run.faults_planned === 0) return 'the variant has none';
  return run.complete ? 'its faults are set after the run ends' : 'it stopped before its first fault';
}

/** The run's warning of faults the warm-up hides, wholly or in part. */
export function warmupFaultWarning(faults: readonly FaultBand[], warmup_s: number): VerdictWarning | undefined {
  const hidden = faults.filter((b) => b.measured !== undefined);
  if (hidden.length === 0) return undefined;
  const parts = hidden.map((b) => {
    const what = `faults[${b.index}] (${b.kind} on ${b.target}, ${fmt(b.start_s)}-${fmt(b.end_s)} s)`;
    return b.measured === 'no' ? `${what} ends in it: not measured` : `${what} begins in it: measured from ${fmt(warmup_s)} s on only`;
  });
  return { code: 'fault_in_warmup', message: `faults in the warm-up (the first ${fmt(warmup_s)} s, which no figure counts): ${parts.join('; ')}. Set at_s after warmup_s to measure a fault` };
}
