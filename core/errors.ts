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
  /**
   * Whether a command that ends with this error was refused for a reason that a restart cannot fix (the
   * declaration, the configuration, the recording): it exits with EXIT_REFUSED, which the systemd unit does not
   * restart, instead of 1 (a failure a restart may get past: a server away, a port taken).
   */
  static readonly refusal: boolean = false;
  override readonly name: string = "TickflowError";
  /** The code of the class that was thrown: stable across releases, unlike the message. */
  readonly code: string;

  /** @param options.cause the error this one wraps, kept as `cause` (printed by `TICKFLOW_DEBUG=1 tickflow ...`). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = (new.target as typeof TickflowError).code;
  }
}

/** Exit status of a command refused for a reason a restart cannot fix (sysexits.h's EX_CONFIG). */
export const EXIT_REFUSED = 78;

/** The exit status of a command that ended with `e`: EXIT_REFUSED for a refusal (see `TickflowError.refusal`), else 1. */
export function exitStatusOf(e: unknown): number {
  return e instanceof TickflowError && (e.constructor as typeof TickflowError).refusal ? EXIT_REFUSED : 1;
}

/** Whether `e` is a TickflowError, and when `code` is given, one with that code. */
export function isTickflowError(e: unknown, code?: string): e is TickflowError {
  return e instanceof TickflowError && (code === undefined || e.code === code);
}
