// Average Directional Index with +DI/−DI, Wilder smoothing throughout (TA-Lib ADX, PLUS_DI, MINUS_DI).

import { trueRange } from "./atr.ts";
import { checkPeriod, checkState, type HlcBar } from "./types.ts";

export interface AdxValue {
  adx: number;
  plusDI: number;
  minusDI: number;
}

export interface AdxState {
  kind: "adx";
  period: number;
  count: number;
  prevHigh: number;
  prevLow: number;
  prevClose: number;
  plusDM: number;
  minusDM: number;
  tr: number;
  /** Sum of the first DX values during warm-up, then the ADX itself. */
  adx: number;
}

/**
 * Wilder's directional movement system, computed in TA-Lib's order:
 * - +DM1/−DM1 per bar: the larger of (high − prevHigh) and (prevLow − low) if positive, the other 0 (both 0 on a tie);
 * - DM and TR sums over the first period − 1 changes, then Wilder-smoothed: s = s − s / period + today;
 * - ±DI = 100 · DM / TR; DX = 100 · |−DI − +DI| / (−DI + +DI);
 * - first ADX = mean of the first `period` DX values; then adx = (adx · (period − 1) + dx) / period.
 * A bar with TR = 0 or +DI + −DI = 0 has no DX, and ADX carries over (TA-Lib does the same, testing |x| < 1e-8
 * where this tests exact zero).
 *
 * Warm-up: `warmup = 2 · period − 1` (0-based index of the first bar that yields a value): 27 for ADX(14).
 * ±DI exist from bar `period` on (TA-Lib PLUS_DI/MINUS_DI), but are emitted together with ADX.
 *
 * @example
 * const adx = new Adx(14);
 * const v = adx.next({ high, low, close }); // undefined, or { adx, plusDI, minusDI }
 * @param period Wilder period, >= 2 (default 14)
 */
export class Adx {
  readonly period: number;
  readonly warmup: number;
  private count = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private plusDM = 0.0;
  private minusDM = 0.0;
  private tr = 0.0;
  private adx = 0.0;

  constructor(period = 14) {
    checkPeriod("adx", "period", period, 2);
    this.period = period;
    this.warmup = 2 * period - 1;
  }

  next(bar: HlcBar): AdxValue | undefined {
    const n = this.period;
    const index = this.count;
    if (index < 2 * n) this.count++;
    if (index === 0) {
      this.prevHigh = bar.high;
      this.prevLow = bar.low;
      this.prevClose = bar.close;
      return undefined;
    }
    const diffP = bar.high - this.prevHigh;
    const diffM = this.prevLow - bar.low;
    const tr = trueRange(bar.high, bar.low, this.prevClose);
    this.prevHigh = bar.high;
    this.prevLow = bar.low;
    this.prevClose = bar.close;
    if (index >= n) {
      this.minusDM -= this.minusDM / n;
      this.plusDM -= this.plusDM / n;
    }
    if (diffM > 0 && diffP < diffM) this.minusDM += diffM;
    else if (diffP > 0 && diffP > diffM) this.plusDM += diffP;
    if (index < n) {
      this.tr += tr;
      return undefined;
    }
    this.tr = this.tr - this.tr / n + tr;

    let plusDI = 0.0;
    let minusDI = 0.0;
    let dx: number | undefined;
    if (this.tr !== 0) {
      minusDI = 100.0 * (this.minusDM / this.tr);
      plusDI = 100.0 * (this.plusDM / this.tr);
      const sum = minusDI + plusDI;
      if (sum !== 0) dx = 100.0 * (Math.abs(minusDI - plusDI) / sum);
    }
    if (index < 2 * n - 1) {
      if (dx !== undefined) this.adx += dx;
      return undefined;
    }
    if (index === 2 * n - 1) {
      if (dx !== undefined) this.adx += dx;
      this.adx = this.adx / n;
    } else if (dx !== undefined) {
      this.adx = (this.adx * (n - 1) + dx) / n;
    }
    return { adx: this.adx, plusDI, minusDI };
  }

  toState(): AdxState {
    return {
      kind: "adx",
      period: this.period,
      count: this.count,
      prevHigh: this.prevHigh,
      prevLow: this.prevLow,
      prevClose: this.prevClose,
      plusDM: this.plusDM,
      minusDM: this.minusDM,
      tr: this.tr,
      adx: this.adx,
    };
  }

  static fromState(state: unknown): Adx {
    const s = checkState<AdxState>(state, "adx");
    const a = new Adx(s.period);
    a.count = s.count;
    a.prevHigh = s.prevHigh;
    a.prevLow = s.prevLow;
    a.prevClose = s.prevClose;
    a.plusDM = s.plusDM;
    a.minusDM = s.minusDM;
    a.tr = s.tr;
    a.adx = s.adx;
    return a;
  }
}
