import { maxOf } from '../util/extremes.ts';
import { escapeControls } from '../util/excerpt.ts';
/**
 * Left-aligned first column, right-aligned numbers: a compact table for the terminal. Cells hold
 * names from the input (knob paths and values, scenario, station and model names; a shard.json
 * edited by hand): their control characters are escaped, so none reaches the terminal raw.
 */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => escapeControls(String(c))));
  const widths = header.map((_, i) => maxOf(cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export { fmt } from '../util/format-number.ts';
