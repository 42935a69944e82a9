/** 1234.5 -> "1,235"; small numbers keep 3 significant digits. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  // Beyond a quadrillion digit groups stop being readable (duration_s: 1e300 would print 301 digits).
  if (Math.abs(x) >= 1e15) return x.toPrecision(digits).replace('+', '');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x === 0) return '0';
  return Number(x.toPrecision(digits)).toString();
}

/**
 * A simulated time in seconds, as fmt prints it when whole, else with the decimals it needs (three
 * at least) not to read as a whole second: fmt printed a fault at 59.999 s as "60-70 s", the same
 * as one at 60 s, beside a run end of 60 s that one of them precedes and the other does not.
 */
export function fmtSeconds(t_s: number): string {
  if (Number.isInteger(t_s) || !Number.isFinite(t_s) || Math.abs(t_s) >= 1e15) return fmt(t_s);
  let decimals = 3;
  while (decimals < 15 && Number.isInteger(Number(t_s.toFixed(decimals)))) decimals++;
  return t_s.toLocaleString('en-US', { maximumFractionDigits: decimals });
}
