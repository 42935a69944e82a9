import type { Summary } from '../results/summary.ts';
import { markThin, REQUESTS_BEYOND_PERCENTILE, thinPercentileKeys } from '../results/verdict.ts';
import { fmt } from './table.ts';
import { classTargetsText } from './verdict-text.ts';

/**
 * The request classes' table (fleet.classes; docs/priorities.md), one row per class, for the
 * terminal summary, report.md and report.html: its share, requests, TTFT and e2e percentiles, SLO
 * and what it got served. A class's percentiles rest on its own completed requests, so each row
 * marks its thin ones `*` as the headline latency table does; a class that received no requests
 * reads "no requests" rather than figures of nothing.
 */
export interface ClassRows {
  header: string[];
  rows: string[][];
  note?: string;
}

const pct = (x: number | null) => (x === null ? '-' : `${fmt(x * 100)}%`);

/** The SLO cell: its targets and the verdict (`missed` as the caller writes it: MISSED, **missed**). */
function sloCell(s: Summary, name: string, missed: string): string {
  const c = s.classes!.by_class[name];
  if (!c.slo) return '-';
  const v = s.verdict.classes?.[name];
  const verdict = !v || v.met === null ? 'not judged' : v.met ? 'met' : missed;
  return `${classTargetsText(c.slo)}: ${verdict}`;
}

/** The rows of the class table, or undefined without classes; `missed`: how a missed SLO is written. */
export function classRows(s: Summary, missed: string): ClassRows | undefined {
  const classes = Object.entries(s.classes?.by_class ?? {});
  if (classes.length === 0) return undefined;
  let thin = false;
  const rows = classes.map(([name, c]) => {
    if (!(c.offered > 0)) return [name, fmt(c.share), '0', '0', '-', '-', '-', '-', c.slo ? `${classTargetsText(c.slo)}: not judged` : '-', 'no requests', '-'];
    const thinKeys = thinPercentileKeys(c.completed);
    thin ||= thinKeys.includes('p50') || thinKeys.includes('p99');
    const figure = (block: 'ttft' | 'e2e', key: 'p50' | 'p99') => markThin(thinKeys, key, fmt(c.latency_ms[block][key]));
    return [name, fmt(c.share), fmt(c.offered), fmt(c.completed), figure('ttft', 'p50'), figure('ttft', 'p99'), figure('e2e', 'p50'), figure('e2e', 'p99'), sloCell(s, name, missed), pct(c.slo_attainment), fmt(c.goodput_per_s)];
  });
  const header = ['class', 'share', 'offered', 'completed', 'ttft p50', 'ttft p99', 'e2e p50', 'e2e p99', 'slo', 'attainment', 'goodput/s'];
  const note = `* from the class's completed requests, fewer than ${REQUESTS_BEYOND_PERCENTILE} lie beyond that percentile: a rough figure, not a tail (run longer)`;
  return { header, rows, ...(thin ? { note } : {}) };
}
