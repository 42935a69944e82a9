import { UserError } from '../errors.ts';
import { excerpt } from './excerpt.ts';
import { roundsToZero } from './decimal.ts';

/**
 * JSON.parse keeps the last of two equal keys in an object without a word: a config.json with
 * `"hidden_size": 4096, "hidden_size": 8192` sized the model at 8192. YAML inputs refuse such a
 * document; JSON inputs (scenarios, model configs, calibration profiles, result files) now do too.
 */

/** Parses JSON text, refusing a repeated key in one object; messages name `file` and the line. */
export function parseJsonInput(text: string, file: string, invalid = 'not valid JSON'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: ${invalid}: ${excerpt((e as Error).message)}`);
  }
  const repeated = firstRepeatedKey(text);
  if (repeated) throw new UserError(`${file} line ${repeated.line}: key "${excerpt(repeated.key)}" appears twice in one object (JSON would keep the last without a word; remove one)`);
  return value;
}

/**
 * The first key that appears twice in one object of valid JSON `text`, with its line; one pass,
 * no second parse: objects and arrays on a stack, each object with the keys seen so far.
 */
export function firstRepeatedKey(text: string): { key: string; line: number } | undefined {
  const stack: (Set<string> | null)[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 123) stack.push(new Set()); // {
    else if (c === 91) stack.push(null); // [
    else if (c === 125 || c === 93) stack.pop(); // } ]
    else if (c === 34) {
      // a string: to its closing quote (escapes skipped), then a key when a colon follows
      const start = i;
      for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      const keys = stack[stack.length - 1];
      if (keys && nextNonSpace(text, i + 1) === 58) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { key, line };
        keys.add(key);
      }
    }
  }
  return undefined;
}

/**
 * The line where valid-or-not JSON `text` first nests deeper than `maxDepth` objects and arrays,
 * found before parsing (one pass, strings skipped): JSON.parse reads a value 100,000 levels deep,
 * but what walks it afterwards (a summary's aggregation, JSON.stringify) overflows the stack.
 */
export function lineNestedDeeperThan(text: string, maxDepth: number): number | undefined {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 123 || c === 91) {
      // { [
      if (++depth > maxDepth) return line;
    } else if (c === 125 || c === 93) depth--; // } ]
    else if (c === 34) for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
  }
  return undefined;
}

/**
 * Where the first number of valid JSON `text` written other than 0 reads as 0 (1e-400, or `0.`
 * and 330 zeros then 1), found in one pass with strings skipped; JSON.parse says nothing of it.
 * Only a number with a negative exponent or of more than 300 characters can be that small, so
 * only those are converted: an ordinary file pays the scan alone.
 */
export function firstUnderflowingNumber(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      // a number: to its end; outside strings, a minus or a digit starts one
      const start = i;
      let negativeExponent = false;
      for (i++; i < text.length && isNumberChar(text.charCodeAt(i)); i++) if (text.charCodeAt(i) === 45) negativeExponent = true;
      if ((negativeExponent || i - start > 300) && roundsToZero(text.slice(start, i))) return start;
      i--;
    }
  }
  return undefined;
}

/**
 * The path (keys and list indexes) of the value that starts at `offset` in valid JSON `text`, with
 * its line and column: one pass to it, strings skipped, each open object holding its last key.
 */
export function jsonPathAt(text: string, offset: number): { path: PropertyKey[]; line: number; col: number } {
  const path: PropertyKey[] = [];
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
    } else if (c === 123) path.push(''); // {: its key is read next
    else if (c === 91) path.push(0); // [
    else if (c === 125 || c === 93) path.pop(); // } ]
    else if (c === 44 && typeof path[path.length - 1] === 'number') (path[path.length - 1] as number)++; // , in a list
    else if (c === 34) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      if (nextNonSpace(text, i + 1) === 58) path[path.length - 1] = JSON.parse(text.slice(start, i + 1)) as string;
    }
  }
  return { path, line, col: offset - lineStart + 1 };
}

/** Digits, the point, an exponent's e and its sign. */
const isNumberChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c;
  }
  return -1;
}
