// Commodity Channel Index with the mean absolute deviation (Lambert; TA-Lib CCI).

import { checkPeriod, checkState, type HlcBar } from "./types.ts";

export interface CciState {
  kind: "cci";
  period: number;
  values: number[];
  pos: number;
  count: number;
}

/**
 * CCI = (tp − mean(tp)) / (0.015 · meanDeviation), tp = (high + low + close) / 3, over the last `period` bars,
 * where meanDeviation = Σ|tp − mean| / period. The mean deviation must be taken around the current mean, so
 * this is O(period) per update (as in TA-Lib); sums run over the ring in slot order, exactly as TA-Lib's circular
 * buffer does. 0 when the numerator or the deviation is 0.
 *
 * Warm-up: `warmup = period − 1` (0-based index of the first bar that yields a value).
 *
 * @example
 * const cci = new Cci(20);
 * const v = cci.next({ high, low, close });
 * @param period window length, >= 2 (default 20; TA-Lib's default is 14)
 */
export class Cci {
  readonly period: number;
  readonly warmup: number;
  private values: Float64Array;
  private pos = 0;
  private count = 0;

  constructor(period = 20) {
    checkPeriod("cci", "period", period, 2);
    this.period = period;
    this.warmup = period - 1;
    this.values = new Float64Array(period);
  }

  next(bar: HlcBar): number | undefined {
    const { values, period } = this;
    const tp = (bar.high + bar.low + bar.close) / 3;
    values[this.pos] = tp;
    if (++this.pos === period) this.pos = 0;
    if (this.count < period && ++this.count < period) return undefined;
    let mean = 0;
    for (let j = 0; j < period; j++) mean += values[j]!;
    mean /= period;
    let dev = 0;
    for (let j = 0; j < period; j++) dev += Math.abs(values[j]! - mean);
    const num = tp - mean;
    return num !== 0 && dev !== 0 ? num / (0.015 * (dev / period)) : 0.0;
  }

  toState(): CciState {
    return { kind: "cci", period: this.period, values: Array.from(this.values), pos: this.pos, count: this.count };
  }

  static fromState(state: unknown): Cci {
    const s = checkState<CciState>(state, "cci");
    const c = new Cci(s.period);
    c.values.set(s.values);
    c.pos = s.pos;
    c.count = s.count;
    return c;
  }
}
