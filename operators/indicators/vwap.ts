// Volume-weighted average price over a rolling window of bars, or cumulative over a session until reset().

import { RollingSum, type RollingSumState } from "./rollingSum.ts";
import { checkPeriod, checkState, type Bar } from "./types.ts";

export interface VwapState {
  kind: "vwap";
  period: number;
  /** Rolling mode: the windows of price·volume and volume. */
  pv?: RollingSumState;
  v?: RollingSumState;
  /** Session mode: the running totals since the last reset(). */
  sumPv: number;
  sumV: number;
}

/**
 * VWAP = Σ(tp · volume) / Σ volume with tp = (high + low + close) / 3 (the bar's typical price; a bar has no
 * trade-level prices).
 * - `period > 0`: rolling over the last `period` bars (running sums re-summed once per period, see `RollingSum`).
 * - `period = 0`: session VWAP, cumulative since construction or the last `reset()`; the caller (the pipeline's
 *   per-symbol operator) calls `reset()` at each session open, because a bar carries no session information.
 * While the window (or the session) holds no volume the value is undefined, not 0 or NaN.
 *
 * Warm-up: rolling, `warmup = period − 1`; session, `warmup = 0` (first bar with volume yields a value).
 *
 * @example
 * const vwap = new Vwap(0);             // session VWAP
 * vwap.next(bar); if (newSession) vwap.reset();
 * @param period bars in the rolling window, or 0 for a session VWAP (default 0)
 */
export class Vwap {
  readonly period: number;
  readonly warmup: number;
  private pv: RollingSum | undefined;
  private v: RollingSum | undefined;
  private sumPv = 0;
  private sumV = 0;

  constructor(period = 0) {
    if (period !== 0) checkPeriod("vwap", "period", period);
    this.period = period;
    this.warmup = period > 0 ? period - 1 : 0;
    if (period > 0) {
      this.pv = new RollingSum(period);
      this.v = new RollingSum(period);
    }
  }

  next(bar: Pick<Bar, "high" | "low" | "close" | "volume">): number | undefined {
    const tp = (bar.high + bar.low + bar.close) / 3;
    if (this.pv && this.v) {
      this.pv.push(tp * bar.volume);
      this.v.push(bar.volume);
      if (!this.v.full || this.v.sum === 0) return undefined;
      return this.pv.sum / this.v.sum;
    }
    this.sumPv += tp * bar.volume;
    this.sumV += bar.volume;
    return this.sumV !== 0 ? this.sumPv / this.sumV : undefined;
  }

  /** Starts a new session (session mode) or empties the window (rolling mode). */
  reset(): void {
    this.sumPv = 0;
    this.sumV = 0;
    if (this.period > 0) {
      this.pv = new RollingSum(this.period);
      this.v = new RollingSum(this.period);
    }
  }

  toState(): VwapState {
    return {
      kind: "vwap",
      period: this.period,
      ...(this.pv && this.v ? { pv: this.pv.toState(), v: this.v.toState() } : {}),
      sumPv: this.sumPv,
      sumV: this.sumV,
    };
  }

  static fromState(state: unknown): Vwap {
    const s = checkState<VwapState>(state, "vwap");
    const w = new Vwap(s.period);
    if (s.pv && s.v) {
      w.pv = RollingSum.fromState(s.pv);
      w.v = RollingSum.fromState(s.v);
    }
    w.sumPv = s.sumPv;
    w.sumV = s.sumV;
    return w;
  }
}
