// Rolling z-score: how many population standard deviations the latest value sits from the window mean.

import { RollingMoments, type RollingMomentsState } from "./rollingMoments.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface ZScoreState extends RollingMomentsState {
  kind: "zscore";
  period: number;
}

/**
 * z = (x − mean) / σ over the last `period` values including x (population σ). A flat window (σ = 0) gives 0
 * rather than NaN or ±Infinity, so a downstream threshold sees "no deviation".
 *
 * Warm-up: `warmup = period − 1` (0-based index of the first input that yields a value).
 *
 * @example
 * const z = new ZScore(20);
 * const v = z.next(close); // undefined, or a number (|v| <= sqrt(period - 1))
 * @param period window length, >= 2 (default 20)
 */
export class ZScore {
  readonly period: number;
  readonly warmup: number;
  private window: RollingMoments;

  constructor(period = 20) {
    checkPeriod("zscore", "period", period, 2);
    this.period = period;
    this.warmup = period - 1;
    this.window = new RollingMoments(period);
  }

  next(x: number): number | undefined {
    this.window.push(x);
    if (!this.window.full) return undefined;
    const sd = Math.sqrt(this.window.variance);
    return sd > 0 ? (x - this.window.mean) / sd : 0;
  }

  toState(): ZScoreState {
    return { kind: "zscore", period: this.period, ...this.window.toState() };
  }

  static fromState(state: unknown): ZScore {
    const s = checkState<ZScoreState>(state, "zscore");
    const z = new ZScore(s.period);
    z.window = RollingMoments.fromState(s);
    return z;
  }
}
