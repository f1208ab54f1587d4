// A fixed-size window with its mean and population variance in O(1): the core of Bollinger Bands, StdDev and ZScore.

import { checkPeriod } from "./types.ts";

export interface RollingMomentsState {
  values: number[];
  pos: number;
  count: number;
  anchor: number;
  s1: number;
  s2: number;
  peak: number;
}

/**
 * Mean and population variance of the last `size` values.
 *
 * Float drift and cancellation: TA-Lib's Σx² / n − mean² loses most digits when the level dwarfs the spread
 * (a price of 10,000 with a standard deviation of 0.01 keeps ~4 significant digits). Here the sums are of
 * (x − anchor), both recomputed from the window each time the
 * ring wraps (every `size` pushes: O(1) amortised), the anchor moved to a value inside the window. Between wraps the running sums gain one rounding per update.
 */
const NOISE_ULPS = 8;
/** A variance below this fraction of the largest square in the sums has lost most of its digits. */
const CANCELLATION = 1e-6;

export class RollingMoments {
  readonly size: number;
  private values: Float64Array;
  private pos = 0;
  private count = 0;
  private anchor = 0;
  private s1 = 0;
  private s2 = 0;
  /** Largest (x − anchor)² added or removed since the last resync: the scale of the rounding noise in s2. */
  private peak = 0;

  constructor(size: number) {
    checkPeriod("RollingMoments", "size", size);
    this.size = size;
    this.values = new Float64Array(size);
  }

  push(x: number): void {
    const { values, size } = this;
    if (this.count === size) {
      const d = values[this.pos]! - this.anchor;
      this.s1 -= d;
      this.s2 -= d * d;
      if (d * d > this.peak) this.peak = d * d;
    } else {
      if (this.count === 0) this.anchor = x;
      this.count++;
    }
    values[this.pos] = x;
    const d = x - this.anchor;
    this.s1 += d;
    this.s2 += d * d;
    if (d * d > this.peak) this.peak = d * d;
    if (++this.pos === size) {
      this.pos = 0;
      this.resync();
    }
  }

  private resync(): void {
    const { values } = this;
    const size = this.count; // the ring fills from index 0, so before it is full the values are [0, count)
    // Anchor on a value of the window (the oldest): as close to the mean as the window's own range, and exact
    // for a flat window, so a constant series gives a variance of exactly 0.
    const anchor = values[0]!;
    let s1 = 0.0;
    let s2 = 0.0;
    let peak = 0;
    for (let i = 0; i < size; i++) {
      const d = values[i]! - anchor;
      s1 += d;
      s2 += d * d;
      if (d * d > peak) peak = d * d;
    }
    this.peak = peak;
    this.anchor = anchor;
    this.s1 = s1;
    this.s2 = s2;
  }

  get full(): boolean {
    return this.count === this.size;
  }

  get mean(): number {
    return this.anchor + this.s1 / this.count;
  }

  /**
   * Population variance (divides by n). A result inside the rounding noise of the running sums (a few ulps of
   * the largest square they carried since the last resync) is reported as exactly 0, so a window that has gone
   * flat reads as flat instead of as noise.
   */
  get variance(): number {
    let m = this.s1 / this.count;
    let v = this.s2 / this.count - m * m;
    // Severe cancellation (the sums still carry squares far larger than the window's spread, e.g. after a
    // price level change): recompute the sums from the window itself, once; the new peak is the window's own.
    if (v < CANCELLATION * this.peak && this.peak > 0) {
      this.resync();
      m = this.s1 / this.count;
      v = this.s2 / this.count - m * m;
    }
    return v > NOISE_ULPS * Number.EPSILON * this.peak ? v : 0;
  }

  toState(): RollingMomentsState {
    return { values: Array.from(this.values), pos: this.pos, count: this.count, anchor: this.anchor, s1: this.s1, s2: this.s2, peak: this.peak };
  }

  static fromState(state: RollingMomentsState): RollingMoments {
    const r = new RollingMoments(state.values.length);
    r.values.set(state.values);
    r.pos = state.pos;
    r.count = state.count;
    r.anchor = state.anchor;
    r.s1 = state.s1;
    r.s2 = state.s2;
    r.peak = state.peak;
    return r;
  }
}
