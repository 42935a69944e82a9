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

/**
 * Does `text` write a number other than 0 that reads as 0 (1e-400, below the smallest double,
 * about 5e-324)? A budget `p99 < 1e-400` was read as `p99 < 0` without a word.
 */
export function roundsToZero(text: string): boolean {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) && Number(trimmed) === 0 && writesNonzeroDigit(trimmed);
}

/**
 * Does a number's source text hold a digit other than 0 before its exponent? Of a value that
 * reads as exactly 0, that means it underflowed, however it was spelt (YAML 1.1's `1_0.0e-400`
 * fails DECIMAL): 0 written in any base or spelling has no such digit.
 */
export function writesNonzeroDigit(source: string): boolean {
  return /[1-9]/.test(source.split(/[eE]/)[0]);
}

/** What a refusal of such a number says it expected. */
export const NOT_ROUNDING_TO_ZERO = 'a number that does not round to 0 (the smallest positive one is about 5e-324)';
