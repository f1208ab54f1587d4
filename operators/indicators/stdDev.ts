// Rolling population standard deviation (TA-Lib STDDEV with nbDev = 1) and the window mean.

import { RollingMoments, type RollingMomentsState } from "./rollingMoments.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface StdDevValue {
  stddev: number;
  mean: number;
}

export interface StdDevState extends RollingMomentsState {
  kind: "stddev";
  period: number;
}

/**
 * Population standard deviation (divide by n) of the last `period` values, with their mean. O(1) per update
 * (see `RollingMoments`).
 *
 * Warm-up: `warmup = period − 1` (0-based index of the first input that yields a value).
 *
 * @example
 * const sd = new StdDev(20);
 * const v = sd.next(close); // undefined, or { stddev, mean }
 * @param period window length, >= 1 (default 20)
 */
export class StdDev {
  readonly period: number;
  readonly warmup: number;
  private window: RollingMoments;

  constructor(period = 20) {
    checkPeriod("stddev", "period", period);
    this.period = period;
    this.warmup = period - 1;
    this.window = new RollingMoments(period);
  }

  next(x: number): StdDevValue | undefined {
    this.window.push(x);
    if (!this.window.full) return undefined;
    return { stddev: Math.sqrt(this.window.variance), mean: this.window.mean };
  }

  toState(): StdDevState {
    return { kind: "stddev", period: this.period, ...this.window.toState() };
  }

  static fromState(state: unknown): StdDev {
    const s = checkState<StdDevState>(state, "stddev");
    const sd = new StdDev(s.period);
    sd.window = RollingMoments.fromState(s);
    return sd;
  }
}
