// Average True Range with Wilder smoothing (TA-Lib ATR).

import { checkPeriod, checkState, type HlcBar } from "./types.ts";

export interface AtrState {
  kind: "atr";
  period: number;
  count: number;
  prevClose: number;
  /** Sum of the true ranges during warm-up, then the ATR itself. */
  value: number;
}

/** True range of a bar given the previous close: the greatest of high − low, |prevClose − high|, |prevClose − low|. */
export function trueRange(high: number, low: number, prevClose: number): number {
  let greatest = high - low;
  const up = Math.abs(prevClose - high);
  if (up > greatest) greatest = up;
  const down = Math.abs(prevClose - low);
  if (down > greatest) greatest = down;
  return greatest;
}

/**
 * ATR: the first value is the mean of the first `period` true ranges (the first bar only supplies a previous
 * close); after that atr = (atr * (period − 1) + tr) / period, TA-Lib's three separate statements, so values
 * match TA-Lib bit for bit.
 *
 * Warm-up: `warmup = period` (0-based index of the first bar that yields a value): ATR(14) first appears on
 * the 15th bar.
 *
 * @example
 * const atr = new Atr(14);
 * const v = atr.next({ high, low, close });
 * @param period Wilder period, >= 1 (default 14)
 */
export class Atr {
  readonly period: number;
  readonly warmup: number;
  private count = 0;
  private prevClose = 0;
  private value = 0.0;

  constructor(period = 14) {
    checkPeriod("atr", "period", period);
    this.period = period;
    this.warmup = period;
  }

  next(bar: HlcBar): number | undefined {
    const n = this.period;
    if (this.count === 0) {
      this.prevClose = bar.close;
      this.count = 1;
      return undefined;
    }
    const tr = trueRange(bar.high, bar.low, this.prevClose);
    this.prevClose = bar.close;
    if (this.count > n) {
      this.value *= n - 1;
      this.value += tr;
      this.value /= n;
      return this.value;
    }
    this.value += tr;
    if (++this.count <= n) return undefined;
    this.value = this.value / n;
    return this.value;
  }

  toState(): AtrState {
    return { kind: "atr", period: this.period, count: this.count, prevClose: this.prevClose, value: this.value };
  }

  static fromState(state: unknown): Atr {
    const s = checkState<AtrState>(state, "atr");
    const atr = new Atr(s.period);
    atr.count = s.count;
    atr.prevClose = s.prevClose;
    atr.value = s.value;
    return atr;
  }
}
