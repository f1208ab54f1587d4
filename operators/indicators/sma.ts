// Simple moving average: the arithmetic mean of the last `period` values (TA-Lib SMA).

import { RollingSum, type RollingSumState } from "./rollingSum.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface SmaState extends RollingSumState {
  kind: "sma";
  period: number;
}

/**
 * Simple moving average, O(1) per update (running sum, re-summed once per period; see `RollingSum`).
 *
 * Warm-up: `warmup = period - 1`, the 0-based index of the first input that yields a value
 * (TA-Lib's lookback): SMA(20) returns its first value on the 20th input.
 *
 * @example
 * const sma = new Sma(3);
 * [1, 2, 3, 4].map((x) => sma.next(x)); // [undefined, undefined, 2, 3]
 * @param period number of values averaged, >= 1
 */
export class Sma {
  readonly period: number;
  readonly warmup: number;
  private window: RollingSum;

  constructor(period: number) {
    checkPeriod("sma", "period", period);
    this.period = period;
    this.warmup = period - 1;
    this.window = new RollingSum(period);
  }

  next(x: number): number | undefined {
    this.window.push(x);
    return this.window.full ? this.window.sum / this.period : undefined;
  }

  toState(): SmaState {
    return { kind: "sma", period: this.period, ...this.window.toState() };
  }

  static fromState(state: unknown): Sma {
    const s = checkState<SmaState>(state, "sma");
    const sma = new Sma(s.period);
    sma.window = RollingSum.fromState(s);
    return sma;
  }
}
