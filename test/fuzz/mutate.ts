import fc from 'fast-check';
import { expect } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { MAX_PROBLEMS } from '../../src/scenario/load.ts';

/**
 * Fuzzing helpers: random mutations of an input file, and what every outcome must look like.
 *
 * The suite is deterministic (a fixed seed). To run it longer, multiply the number of runs:
 *   FLEETSIM_FUZZ_RUNS=20 npx vitest run test/fuzz
 * and to explore other inputs, change the seed: FLEETSIM_FUZZ_SEED=12345. A failure prints the
 * seed and the shrunk input (fast-check's counterexample) to reproduce it.
 */
export const FUZZ_SEED = Number(process.env.FLEETSIM_FUZZ_SEED ?? 20_250_101);
const SCALE = Math.max(1, Number(process.env.FLEETSIM_FUZZ_RUNS ?? 1));

/** fast-check parameters: the fixed seed, and `runs` times FLEETSIM_FUZZ_RUNS. */
export const fuzzParams = (runs: number) => ({ seed: FUZZ_SEED, numRuns: Math.round(runs * SCALE), endOnFailure: true });

/** Numbers at the edges of what the loaders store: int32, uint32, 2^53, 2^64, overflow, NaN, negatives, fractions. */
export const HUGE_NUMBERS = [
  '2147483647', '2147483648', '4294967296', '4294967396', '9007199254740992', '9007199254740993', '18446744073709551616',
  '1e308', '1e309', '-1e309', '-1', '-0', '0', '1.5', '0x7fffffff', '1e3', '.nan', '.inf', '-.inf', 'NaN', 'Infinity', '99999999999999999999999999',
];

/** Bits of YAML, JSON and CSV syntax worth dropping anywhere. */
const SYNTAX = [
  ': ', '- ', '? ', '&a ', '*a', '&a [*a, *a]', '!!str ', '!!binary ', '!custom ', '{', '}', '[', ']', ',', '"', "'", '|', '>', '#', '%YAML 1.1\n---\n', '---\n', '...\n',
  '<<: *a', '__proto__: 1', 'constructor: {}', 'prototype: []', '\n', '\r\n', '\t', '\n  ', '\u0000', '\u001b[31m', '\u202e', '\ufeff', '""', ',,,', '\\', 'null', '~', 'true', '=',
];

const DEEP_OPEN = ['[', '{a: ', '- ', '{"a": '];
const DEEP_CLOSE = [']', '}', '', '}'];

export type Mutation =
  | { kind: 'flip'; at: number; char: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'number'; nth: number; value: string }
  | { kind: 'deep'; at: number; style: number; depth: number }
  | { kind: 'line'; nth: number; op: 'delete' | 'duplicate' | 'indent' };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), char: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 12 }), fc.constantFrom(...HUGE_NUMBERS)) }),
  fc.record({ kind: fc.constant('number' as const), nth: fc.nat(), value: fc.constantFrom(...HUGE_NUMBERS) }),
  fc.record({ kind: fc.constant('deep' as const), at: fc.nat(), style: fc.nat({ max: DEEP_OPEN.length - 1 }), depth: fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constantFrom(200, 3000)) }),
  fc.record({ kind: fc.constant('line' as const), nth: fc.nat(), op: fc.constantFrom('delete' as const, 'duplicate' as const, 'indent' as const) }),
);

/** One to four mutations. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/** Applies a mutation; positions are taken modulo the text's length, so any mutation applies to any text. */
export function apply(text: string, m: Mutation): string {
  const n = text.length;
  switch (m.kind) {
    case 'flip': {
      const i = n === 0 ? 0 : m.at % n;
      return text.slice(0, i) + String.fromCharCode(m.char) + text.slice(i + 1);
    }
    case 'truncate':
      return text.slice(0, n === 0 ? 0 : m.at % n);
    case 'insert': {
      const i = m.at % (n + 1);
      return text.slice(0, i) + m.text + text.slice(i);
    }
    case 'number': {
      const spots = [...text.matchAll(/\d+(\.\d+)?/g)];
      if (spots.length === 0) return text;
      const s = spots[m.nth % spots.length];
      return text.slice(0, s.index) + m.value + text.slice(s.index! + s[0].length);
    }
    case 'deep': {
      const i = m.at % (n + 1);
      return text.slice(0, i) + DEEP_OPEN[m.style].repeat(m.depth) + '1' + DEEP_CLOSE[m.style].repeat(m.depth) + text.slice(i);
    }
    case 'line': {
      const lines = text.split('\n');
      const j = m.nth % lines.length;
      if (m.op === 'delete') lines.splice(j, 1);
      else if (m.op === 'duplicate') lines.splice(j, 0, lines[j]);
      else lines[j] = `  ${lines[j]}`;
      return lines.join('\n');
    }
  }
}

export const applyAll = (text: string, ms: readonly Mutation[]) => ms.reduce(apply, text);

/** Copied runs of the input at least this long show a message quotes a file, not an excerpt (80 characters). */
const COPIED_RUN = 100;
/** Longest message main.ts prints (MAX_MESSAGE_CHARS). */
const MAX_MESSAGE = 1000;

/**
 * A UserError's message: one line, no control characters, at most MAX_MESSAGE characters, and no
 * run of COPIED_RUN characters of `input` (windows of 81 at a stride of 19 find any such run).
 */
export function expectCleanMessage(message: string, input: string, context: string): void {
  // A scenario with several problems names each on a line of its own (scenario/load.ts).
  const lines = message.split('\n');
  expect(lines.length, context).toBeLessThanOrEqual(MAX_PROBLEMS + 1);
  for (const line of lines) expectCleanLine(line, input, context);
}

function expectCleanLine(message: string, input: string, context: string): void {
  expect(message, context).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  expect(message.length, context).toBeLessThanOrEqual(MAX_MESSAGE);
  for (let i = 0; i + 81 <= message.length; i += COPIED_RUN - 81) {
    const window = message.slice(i, i + 81);
    if (input.includes(window)) expect.fail(`${context}: the message copies ${COPIED_RUN}+ characters of the input: ${JSON.stringify(window)}`);
  }
}

/** `fn` returns, or throws a UserError with a clean message; anything else (exit 70) fails. */
export function expectReturnsOrUserError(fn: () => unknown, input: string, context: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof UserError)) {
      expect.fail(`${context}: threw ${(e as Error)?.name ?? typeof e} instead of a UserError (exit 70): ${String((e as Error)?.stack ?? e).slice(0, 2000)}`);
    }
    expectCleanMessage(e.message, input, context);
  }
}
