import { OutputDir, checkOutTarget } from './output-dir.ts';

/** What marks a directory as a report (run, check, replay) that a new one may replace. */
export const REPORT_MARKERS = ['summary.json', 'replay.json'];

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory that does
 * not hold a fleetsim report. Called before simulating, so a bad path fails fast.
 */
export function checkReportTarget(outDir: string): void {
  checkOutTarget(outDir, REPORT_MARKERS);
}

/**
 * Opens a report directory before simulating (see output-dir.ts): refuses a target that is not
 * ours or is an input, and fails at once when it cannot be written. Write, then commit.
 * `interruptible`: a run that a signal may stop commits to `<out>.partial` instead, checked now.
 */
export function openReportDir(outDir: string, inputs: readonly string[], o: { interruptible?: boolean } = {}): OutputDir {
  return new OutputDir(outDir, { markers: REPORT_MARKERS, inputs, ...(o.interruptible === true ? { partial: partialPath(outDir) } : {}) });
}

/** `<out>.partial`: where an interrupted run writes what it simulated, never over `<out>`. */
export function partialPath(outDir: string): string {
  return `${outDir.replace(/[/\\]+$/, '')}.partial`;
}
