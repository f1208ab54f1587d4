// Exponential moving average seeded with the SMA of the first `period` values (TA-Lib EMA, default compatibility).

import { checkPeriod, checkState } from "./types.ts";

export interface EmaState {
  kind: "ema";
  period: number;
  count: number;
  /** Sum of the inputs during warm-up, then the EMA itself. */
  value: number;
}

/**
 * Exponential moving average with k = 2 / (period + 1). The first value is the simple average of the first
 * `period` inputs (summed from 0.0 in input order); after that ema = (x - ema) * k + ema, TA-Lib's exact
 * operation order, so results match TA-Lib bit for bit.
 *
 * Warm-up: `warmup = period - 1` (0-based index of the first input that yields a value).
 *
 * @example
 * const ema = new Ema(12);
 * for (const close of closes) { const v = ema.next(close); if (v !== undefined) use(v); }
 * @param period smoothing period, >= 1
 */
export class Ema {
  readonly period: number;
  readonly warmup: number;
  readonly k: number;
  private count = 0;
  private value = 0.0;

  constructor(period: number) {
    checkPeriod("ema", "period", period);
    this.period = period;
    this.warmup = period - 1;
    this.k = 2.0 / (period + 1);
  }

  next(x: number): number | undefined {
    if (this.count >= this.period) {
      this.value = (x - this.value) * this.k + this.value;
      return this.value;
    }
    this.value += x;
    if (++this.count < this.period) return undefined;
    this.value = this.value / this.period;
    return this.value;
  }

  toState(): EmaState {
    return { kind: "ema", period: this.period, count: this.count, value: this.value };
  }

  static fromState(state: unknown): Ema {
    const s = checkState<EmaState>(state, "ema");
    const ema = new Ema(s.period);
    ema.count = s.count;
    ema.value = s.value;
    return ema;
  }
}
