/**
 * Stack versions as corpus rows give them ("0.9.0", "v0.12", "1.0", "unknown"): compared by their
 * numbers, part by part. A version without numbers ("unknown", a build id) counts as current, the
 * era a reader of an undated figure would assume.
 */
function parts(version: string): number[] | null {
  const numbers = version.match(/\d+/g);
  return numbers ? numbers.map(Number) : null;
}

/** version >= minimum (an unnumbered version is current: true). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = parts(version), b = parts(minimum);
  if (a === null || b === null) return true;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
