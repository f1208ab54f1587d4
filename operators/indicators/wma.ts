// Linearly weighted moving average: the newest of `period` values weighs `period`, the oldest 1 (TA-Lib WMA).

import { checkPeriod, checkState } from "./types.ts";

export interface WmaState {
  kind: "wma";
  period: number;
  values: number[];
  pos: number;
  count: number;
  periodSum: number;
  periodSub: number;
}

/**
 * Weighted moving average, O(1) per update with TA-Lib's recurrence: keep the plain sum of the window and the
 * weighted sum; each step adds `period * x` and then subtracts the plain sum (every weight drops by one).
 * To bound float drift both sums are recomputed from the window each time the ring wraps (once per period).
 *
 * Warm-up: `warmup = period - 1` (0-based index of the first input that yields a value).
 *
 * @example
 * const wma = new Wma(3);
 * [1, 2, 3].map((x) => wma.next(x)); // [undefined, undefined, (1*1 + 2*2 + 3*3) / 6]
 * @param period number of values weighted, >= 1
 */
export class Wma {
  readonly period: number;
  readonly warmup: number;
  private readonly divider: number;
  private values: Float64Array;
  private pos = 0;
  private count = 0;
  /** Weighted sum, already shifted down by one weight (ready for the next input). */
  private periodSum = 0.0;
  /** Plain sum of the current window. */
  private periodSub = 0.0;

  constructor(period: number) {
    checkPeriod("wma", "period", period);
    this.period = period;
    this.warmup = period - 1;
    this.divider = (period * (period + 1)) / 2;
    this.values = new Float64Array(period);
  }

  next(x: number): number | undefined {
    const n = this.period;
    const full = this.count === n;
    const trailing = full ? this.values[this.pos]! : 0.0;
    this.values[this.pos] = x;
    if (!full) this.count++;
    if (this.count < n) {
      this.periodSub += x;
      this.periodSum += x * this.count;
      this.pos++;
      return undefined;
    }
    this.periodSub += x;
    this.periodSub -= trailing;
    this.periodSum += x * n;
    const out = this.periodSum / this.divider;
    this.periodSum -= this.periodSub;
    if (++this.pos === n) {
      this.pos = 0;
      this.resync();
    }
    return out;
  }

  /** Recomputes both sums from the window (oldest first), as the state they have right after an output. */
  private resync(): void {
    const { values, period } = this;
    let sub = 0.0;
    let sum = 0.0;
    for (let i = 0; i < period; i++) {
      const v = values[(this.pos + i) % period]!;
      sub += v;
      sum += v * i;
    }
    this.periodSub = sub;
    this.periodSum = sum;
  }

  toState(): WmaState {
    return {
      kind: "wma",
      period: this.period,
      values: Array.from(this.values),
      pos: this.pos,
      count: this.count,
      periodSum: this.periodSum,
      periodSub: this.periodSub,
    };
  }

  static fromState(state: unknown): Wma {
    const s = checkState<WmaState>(state, "wma");
    const wma = new Wma(s.period);
    wma.values.set(s.values);
    wma.pos = s.pos;
    wma.count = s.count;
    wma.periodSum = s.periodSum;
    wma.periodSub = s.periodSub;
    return wma;
  }
}
