/** Seven significant digits: more than any sketch or CI supports, and stable across runs. */
export function round(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(7));
}
