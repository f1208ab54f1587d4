// Bollinger Bands: SMA middle band ± k population standard deviations (TA-Lib BBANDS with MA type SMA).

import { RollingMoments, type RollingMomentsState } from "./rollingMoments.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface BollingerBandsValue {
  upper: number;
  middle: number;
  lower: number;
}

export interface BollingerBandsState extends RollingMomentsState {
  kind: "bbands";
  period: number;
  stdDev: number;
}

/**
 * middle = SMA(period); upper/lower = middle ± stdDev · σ, σ the population standard deviation (divide by n)
 * of the same window. O(1) per update (see `RollingMoments` for the drift and cancellation handling); agrees
 * with TA-Lib to ~1e-15 relative, and unlike TA-Lib does not report σ = 0 whenever σ² < 1e-8.
 *
 * Warm-up: `warmup = period − 1` (0-based index of the first input that yields a value).
 *
 * @example
 * const bb = new BollingerBands(20, 2);
 * const v = bb.next(close); // undefined, or { upper, middle, lower }
 * @param period window length, >= 1 (default 20)
 * @param stdDev band width in standard deviations (default 2)
 */
export class BollingerBands {
  readonly period: number;
  readonly stdDev: number;
  readonly warmup: number;
  private window: RollingMoments;

  constructor(period = 20, stdDev = 2) {
    checkPeriod("bbands", "period", period);
    if (!Number.isFinite(stdDev) || stdDev < 0) throw new RangeError(`bbands: stdDev must be a finite number >= 0, got ${stdDev}`);
    this.period = period;
    this.stdDev = stdDev;
    this.warmup = period - 1;
    this.window = new RollingMoments(period);
  }

  next(x: number): BollingerBandsValue | undefined {
    this.window.push(x);
    if (!this.window.full) return undefined;
    const middle = this.window.mean;
    const width = this.stdDev * Math.sqrt(this.window.variance);
    return { upper: middle + width, middle, lower: middle - width };
  }

  toState(): BollingerBandsState {
    return { kind: "bbands", period: this.period, stdDev: this.stdDev, ...this.window.toState() };
  }

  static fromState(state: unknown): BollingerBands {
    const s = checkState<BollingerBandsState>(state, "bbands");
    const bb = new BollingerBands(s.period, s.stdDev);
    bb.window = RollingMoments.fromState(s);
    return bb;
  }
}
