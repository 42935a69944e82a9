/** Left-aligned first column, right-aligned numbers: a compact table for the terminal. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/** 1234.5 -> "1,235"; small numbers keep 3 significant digits. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  // Beyond a quadrillion digit groups stop being readable (duration_s: 1e300 would print 301 digits).
  if (Math.abs(x) >= 1e15) return x.toPrecision(digits).replace('+', '');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x === 0) return '0';
  return Number(x.toPrecision(digits)).toString();
}
