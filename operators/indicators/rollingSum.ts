// A fixed-size window of numbers with its running sum: the O(1) core of SMA, rolling VWAP and the %K/%D smoothing.

import { checkPeriod } from "./types.ts";

export interface RollingSumState {
  values: number[];
  pos: number;
  count: number;
  sum: number;
}

/**
 * Running sum of the last `size` values. Float drift: a running sum that only ever adds and subtracts picks up
 * one rounding error per update, unbounded over a long stream (and badly so after a level shift, e.g. volume
 * falling from 1e9 to 0). So each time the ring wraps (once every `size` pushes) the sum is recomputed from the
 * window, oldest first from 0.0: error stays bounded by about `size` roundings, and the cost stays O(1) amortised.
 * Until the first wrap this is exactly TA-Lib's running total (add the new value, then drop the oldest).
 */
export class RollingSum {
  readonly size: number;
  private values: Float64Array;
  private pos = 0;
  private count = 0;
  private total = 0;

  constructor(size: number) {
    checkPeriod("RollingSum", "size", size);
    this.size = size;
    this.values = new Float64Array(size);
  }

  /** Adds `x`, dropping the oldest value once the window is full. */
  push(x: number): void {
    const { values, size } = this;
    if (this.count === size) this.total -= values[this.pos]!;
    else this.count++;
    values[this.pos] = x;
    this.total += x;
    if (++this.pos === size) {
      this.pos = 0;
      let s = 0.0;
      for (let i = 0; i < size; i++) s += values[i]!;
      this.total = s;
    }
  }

  get full(): boolean {
    return this.count === this.size;
  }

  get sum(): number {
    return this.total;
  }

  /** The value that the next push will drop (only meaningful when full). */
  get oldest(): number {
    return this.values[this.pos]!;
  }

  toState(): RollingSumState {
    return { values: Array.from(this.values), pos: this.pos, count: this.count, sum: this.total };
  }

  static fromState(state: RollingSumState): RollingSum {
    const r = new RollingSum(state.values.length);
    r.values.set(state.values);
    r.pos = state.pos;
    r.count = state.count;
    r.total = state.sum;
    return r;
  }
}
