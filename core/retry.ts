// Retries with exponential backoff and full jitter, for I/O (publishes, connections). Never used inside operators.
import { TickflowError } from "./errors.ts";

export interface RetryOptions {
  /** Attempts in total, including the first. Default 5. */
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
}

export class RetriesExhaustedError extends TickflowError {
  static override readonly code = "RETRIES_EXHAUSTED";
  override readonly name = "RetriesExhaustedError";
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** The delay before retry `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))] ("full jitter"). */
export function backoffDelay(attempt: number, o: Pick<RetryOptions, "baseMs" | "maxMs">, random: () => number): number {
  const cap = Math.min(o.maxMs ?? 2000, (o.baseMs ?? 50) * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 5;
  const random = o.random ?? Math.random;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: unknown;
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      made = attempt;
      return await fn(attempt);
    } catch (e) {
      last = e;
      if (attempt === attempts || (o.retryable && !o.retryable(e))) break;
      const delay = backoffDelay(attempt, o, random);
      o.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
  // The attempts actually made: fewer than `attempts` when a non-retryable error stopped early.
  throw new RetriesExhaustedError(made, last);
}
