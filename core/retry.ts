// Retries with exponential backoff and full jitter, for I/O (publishes, connections). Never used inside operators.
import { TickflowError } from "./errors.ts";

export interface RetryOptions {
  /** Attempts in total, including the first; `Infinity` retries until it succeeds (or `signal` aborts). Default 5. */
  readonly attempts?: number;
  /** First backoff in ms. Default 50. */
  readonly baseMs?: number;
  /** Largest backoff in ms. Default 2000. */
  readonly maxMs?: number;
  /** Uniform [0,1) source for jitter; inject a seeded one in tests. Default Math.random. */
  readonly random?: () => number;
  /** Whether an error is worth retrying. Default: every error. */
  readonly retryable?: (e: unknown) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  /** Stops retrying (also during a backoff): the error's cause is `signal.reason`. */
  readonly signal?: AbortSignal;
  /** What is retried, for the error message, e.g. "publish to signals.AAPL (msg id s-1)". */
  readonly what?: string;
}

export class RetriesExhaustedError extends TickflowError {
  static override readonly code = "RETRIES_EXHAUSTED";
  override readonly name = "RetriesExhaustedError";
  constructor(
    readonly attempts: number,
    cause: unknown,
    what?: string,
  ) {
    super(`${what ? `${what}: ` : ""}gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** The delay before retry `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))] ("full jitter"). */
export function backoffDelay(attempt: number, o: Pick<RetryOptions, "baseMs" | "maxMs">, random: () => number): number {
  const cap = Math.min(o.maxMs ?? 2000, (o.baseMs ?? 50) * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Calls `fn` until it resolves, sleeping `backoffDelay` between attempts.
 * @example await retry(() => js.publish(subject, data, { msgID }), { attempts: Infinity, maxMs: 3000, signal })
 * @param fn called with the 1-based attempt number.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 5;
  if (!(attempts >= 1)) throw new Error(`retry${o.what ? ` of ${o.what}` : ""}: attempts must be >= 1 (or Infinity), got ${attempts}`);
  const random = o.random ?? Math.random;
  const signal = o.signal;
  const sleep = o.sleep ? (ms: number) => (signal ? abortable(o.sleep!(ms), signal) : o.sleep!(ms)) : (ms: number) => timer(ms, signal);
  let last: unknown;
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal?.aborted) break;
    try {
      made = attempt;
      return await fn(attempt);
    } catch (e) {
      last = e;
      if (attempt === attempts || (o.retryable && !o.retryable(e)) || signal?.aborted) break;
      const delay = backoffDelay(attempt, o, random);
      o.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
  // The attempts actually made: fewer than `attempts` when a non-retryable error or the signal stopped early.
  throw new RetriesExhaustedError(made, signal?.aborted ? signal.reason : last, o.what);
}

/** Sleeps `ms`, or less when `signal` aborts (the timer is cleared: an aborted wait holds no process open). */
function timer(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when `p` does or when `signal` aborts, whichever is first (the loop then sees `signal.aborted`). */
function abortable(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    p.then(done, done);
  });
}

/** `p`, or `fallback` after `ms`, for a wait on I/O that must stay bounded (the timer is cleared either way). */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]).finally(() => clearTimeout(timer));
}
