/** An error caused by the user's input (file, flag, value): printed as one line, exit code 2, no stack. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * A run that outgrew one of its hard limits (pending events, requests in flight): the input asked
 * for more than fleetsim holds (a retry storm with no backoff, a fault that fires every 1e-300 s,
 * a queue bound of 40 million). One line naming the limit and the likely cause, exit 2, like any
 * input fleetsim refuses; it was an internal error with a stack trace (exit 70).
 */
export class LimitError extends UserError {
  override name = 'LimitError';
}
