import { expect } from 'vitest';
import { UserError } from '../../src/errors.ts';

/** The one-line message of the UserError thrown by fn; fails the test if fn succeeds or throws anything else. */
export function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e, `expected a UserError, got ${String(e)}`).toBeInstanceOf(UserError);
    const msg = (e as Error).message;
    expect(msg.includes('\n'), `error message should be one line: ${JSON.stringify(msg)}`).toBe(false);
    return msg;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

/**
 * A command's refusal as the project promises it (README, "Bad input"): exit 2 and one line on
 * stderr, no stack trace or internal error, matching `pattern`.
 */
export function expectRefusedInOneLine(r: { code: number; stderr: string }, pattern: RegExp, context = r.stderr): void {
  expect(r.code, context).toBe(2);
  const line = r.stderr.replace(/\n$/, '');
  expect(line.includes('\n'), context).toBe(false);
  expect(line).not.toMatch(/internal error|\s+at \S+:\d+/);
  expect(line).toMatch(pattern);
}
