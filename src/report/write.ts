import { OutputDir, checkOutTarget } from './output-dir.ts';
import type { OutputKindName } from './output-layout.ts';

/** The earlier outputs a report (run, check, replay) may replace: a report or a replay, whole. */
const REPORT_KINDS: readonly OutputKindName[] = ['report', 'replay'];

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory that does
 * not hold a fleetsim report. Called before simulating, so a bad path fails fast.
 */
export function checkReportTarget(outDir: string): void {
  checkOutTarget(outDir, REPORT_KINDS);
}

/**
 * Opens a report directory before simulating (see output-dir.ts): refuses a target that is not
 * ours or is an input, and fails at once when it cannot be written. Write, then commit.
 * `interruptible`: a run that a signal may stop commits to `<out>.partial` instead, checked now.
 * `kind`: what is written, a run's report (run, check) unless given.
 */
export function openReportDir(outDir: string, inputs: readonly string[], o: { interruptible?: boolean; kind?: 'report' | 'replay' } = {}): OutputDir {
  const partial = o.interruptible === true ? { partial: partialPath(outDir) } : {};
  return new OutputDir(outDir, { kind: o.kind ?? 'report', replaces: REPORT_KINDS, inputs, ...partial });
}

/** `<out>.partial`: where an interrupted run writes what it simulated, never over `<out>`. */
export function partialPath(outDir: string): string {
  return `${outDir.replace(/[/\\]+$/, '')}.partial`;
}
