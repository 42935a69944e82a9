/** 1234.5 -> "1,235"; small numbers keep 3 significant digits. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  // Beyond a quadrillion digit groups stop being readable (duration_s: 1e300 would print 301 digits).
  if (Math.abs(x) >= 1e15) return x.toPrecision(digits).replace('+', '');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x === 0) return '0';
  return Number(x.toPrecision(digits)).toString();
}
