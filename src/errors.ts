/** An error caused by the user's input (file, flag, value): printed as one line, exit code 2, no stack. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}
