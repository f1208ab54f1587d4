// The one base of every error tickflow throws on purpose: a stable `code` a caller can branch on, and `cause`.
// Codes are listed, with what to do about each, in docs/errors.md (a test keeps the two equal).

/**
 * An error with a stable code. Each subclass declares its code once, as `static code`; every instance carries it
 * as `code`, so a caller can branch on `e.code` (or `isTickflowError(e, ModelLoadError.code)`) without importing the
 * module that throws it, and the message stays free to change.
 *
 * @example
 * export class ModelLoadError extends TickflowError {
 *   static override readonly code = "MODEL_LOAD_FAILED";
 *   override readonly name = "ModelLoadError";
 * }
 * try { await load(path); } catch (e) {
 *   throw new ModelLoadError(`model ${path}: cannot read file`, { cause: e }); // e.code === "MODEL_LOAD_FAILED"
 * }
 */
export class TickflowError extends Error {
  /** The code of this class; each subclass overrides it with its own (SCREAMING_SNAKE_CASE, documented in docs/errors.md). */
  static readonly code: string = "TICKFLOW_ERROR";
  override readonly name: string = "TickflowError";
  /** The code of the class that was thrown: stable across releases, unlike the message. */
  readonly code: string;

  /** @param options.cause the error this one wraps, kept as `cause` (printed by `TICKFLOW_DEBUG=1 tickflow ...`). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = (new.target as typeof TickflowError).code;
  }
}

/** Whether `e` is a TickflowError, and when `code` is given, one with that code. */
export function isTickflowError(e: unknown, code?: string): e is TickflowError {
  return e instanceof TickflowError && (code === undefined || e.code === code);
}
