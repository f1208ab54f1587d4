// Shared shapes of the indicator kernels: the bar they read and the checks their saved state passes on restore.
import { TickflowError } from "../../core/errors.ts";

/** One OHLCV bar, as the registry's `BarIndicator.update` reads it. */
export interface Bar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A high/low/close triple, the input of range-based kernels (ATR, ADX, Stochastic, CCI). */
export interface HlcBar {
  high: number;
  low: number;
  close: number;
}

/** Thrown by `fromState` when a snapshot does not belong to the kernel restoring it. */
export class IndicatorStateError extends TickflowError {
  static override readonly code = "INDICATOR_STATE_INVALID";
  override name = "IndicatorStateError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Throws unless `state` is a plain object whose `kind` is `kind`; returns it typed. */
export function checkState<S extends { kind: string }>(state: unknown, kind: S["kind"]): S {
  if (typeof state !== "object" || state === null || (state as { kind?: unknown }).kind !== kind) {
    const got = typeof state === "object" && state !== null ? `kind ${JSON.stringify((state as { kind?: unknown }).kind)}` : typeof state;
    throw new IndicatorStateError(`cannot restore a ${kind} indicator from ${got}: expected the object returned by ${kind}.toState()`);
  }
  return state as S;
}

/** Throws a RangeError unless `period` is an integer >= `min`. */
export function checkPeriod(indicator: string, name: string, period: number, min = 1): void {
  if (!Number.isInteger(period) || period < min) {
    throw new RangeError(`${indicator}: ${name} must be an integer >= ${min}, got ${period}`);
  }
}
