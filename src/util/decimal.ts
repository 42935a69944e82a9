/**
 * A number as people write one in a flag or a budget: decimal digits, an optional point and
 * exponent. Number() also reads hexadecimal (0x10), binary (0b1), octal (0o7), "Infinity" and a
 * blank as 0; a bound written 0x10 was read silently as 16. (A YAML value such as `value: 0x10`
 * is YAML's integer 16 under the core schema, as in a scenario; this is for the text fleetsim
 * itself reads as a number.)
 */
export const DECIMAL_PATTERN = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const DECIMAL = new RegExp(`^${DECIMAL_PATTERN}$`);

/** The finite number `text` writes in decimal (spaces around it aside), else NaN. */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return DECIMAL.test(trimmed) && Number.isFinite(value) ? value : NaN;
}
