// Rate of change in percent over `period` bars (TA-Lib ROC).

import { checkPeriod, checkState } from "./types.ts";

export interface RocState {
  kind: "roc";
  period: number;
  values: number[];
  pos: number;
  count: number;
}

/**
 * ROC = (x / x[t − period] − 1) · 100, TA-Lib's formula and operation order; 0 when x[t − period] is 0.
 *
 * Warm-up: `warmup = period` (0-based index of the first input that yields a value): ROC(10) first appears on
 * the 11th input.
 *
 * @example
 * const roc = new Roc(10);
 * const v = roc.next(close);
 * @param period look-back in bars, >= 1 (default 10)
 */
export class Roc {
  readonly period: number;
  readonly warmup: number;
  private values: Float64Array;
  private pos = 0;
  private count = 0;

  constructor(period = 10) {
    checkPeriod("roc", "period", period);
    this.period = period;
    this.warmup = period;
    this.values = new Float64Array(period);
  }

  next(x: number): number | undefined {
    const past = this.values[this.pos]!;
    this.values[this.pos] = x;
    if (++this.pos === this.period) this.pos = 0;
    if (this.count < this.period) {
      this.count++;
      return undefined;
    }
    return past !== 0 ? (x / past - 1.0) * 100.0 : 0.0;
  }

  toState(): RocState {
    return { kind: "roc", period: this.period, values: Array.from(this.values), pos: this.pos, count: this.count };
  }

  static fromState(state: unknown): Roc {
    const s = checkState<RocState>(state, "roc");
    const r = new Roc(s.period);
    r.values.set(s.values);
    r.pos = s.pos;
    r.count = s.count;
    return r;
  }
}
