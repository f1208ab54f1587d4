// Relative Strength Index with Wilder smoothing (TA-Lib RSI, classic compatibility), never rounded.

import { checkPeriod, checkState } from "./types.ts";

export interface RsiState {
  kind: "rsi";
  period: number;
  count: number;
  prev: number;
  avgGain: number;
  avgLoss: number;
}

/**
 * RSI = 100 * avgGain / (avgGain + avgLoss). The first averages are the plain means of the first `period`
 * price changes; after that each is smoothed the Wilder way: avg = (avg * (period - 1) + change) / period,
 * in TA-Lib's operation order (multiply, add, divide), so values match TA-Lib bit for bit.
 * When both averages are zero (a flat market) the value is 0, as in TA-Lib; TA-Lib tests "zero" as
 * |x| < 1e-8, which would zero out genuinely tiny moves of low-priced instruments, so this tests exact zero.
 *
 * Warm-up: `warmup = period` (0-based index of the first input that yields a value): RSI(14) needs 14
 * changes, so its first value comes with the 15th price.
 *
 * @example
 * const rsi = new Rsi(14);
 * const value = rsi.next(close); // undefined for the first 14 closes, then a number in [0, 100]
 * @param period Wilder period, >= 2
 */
export class Rsi {
  readonly period: number;
  readonly warmup: number;
  private count = 0;
  private prev = 0;
  private avgGain = 0.0;
  private avgLoss = 0.0;

  constructor(period: number) {
    checkPeriod("rsi", "period", period, 2);
    this.period = period;
    this.warmup = period;
  }

  next(x: number): number | undefined {
    const n = this.period;
    if (this.count === 0) {
      this.prev = x;
      this.count = 1;
      return undefined;
    }
    const change = x - this.prev;
    this.prev = x;
    if (this.count > n) {
      this.avgLoss *= n - 1;
      this.avgGain *= n - 1;
      if (change < 0) this.avgLoss -= change;
      else this.avgGain += change;
      this.avgLoss /= n;
      this.avgGain /= n;
    } else {
      // Warm-up: avgGain/avgLoss hold plain sums until the period-th change.
      if (change < 0) this.avgLoss -= change;
      else this.avgGain += change;
      if (++this.count <= n) return undefined;
      this.avgLoss /= n;
      this.avgGain /= n;
    }
    const total = this.avgGain + this.avgLoss;
    return total !== 0 ? 100.0 * (this.avgGain / total) : 0.0;
  }

  toState(): RsiState {
    return { kind: "rsi", period: this.period, count: this.count, prev: this.prev, avgGain: this.avgGain, avgLoss: this.avgLoss };
  }

  static fromState(state: unknown): Rsi {
    const s = checkState<RsiState>(state, "rsi");
    const rsi = new Rsi(s.period);
    rsi.count = s.count;
    rsi.prev = s.prev;
    rsi.avgGain = s.avgGain;
    rsi.avgLoss = s.avgLoss;
    return rsi;
  }
}
