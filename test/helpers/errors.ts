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
