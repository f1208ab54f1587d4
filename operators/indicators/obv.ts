// On-Balance Volume (TA-Lib OBV): a running total of volume signed by the direction of the close.

import { checkState } from "./types.ts";

export interface ObvState {
  kind: "obv";
  started: boolean;
  prevClose: number;
  value: number;
}

/**
 * OBV starts at the first bar's volume (TA-Lib's convention; some libraries start at 0) and then adds the
 * volume of each bar that closes higher, subtracts it when lower, and keeps it on an unchanged close.
 *
 * Warm-up: `warmup = 0` (the first bar yields a value).
 *
 * @example
 * const obv = new Obv();
 * const v = obv.next({ close, volume });
 */
export class Obv {
  readonly warmup = 0;
  private started = false;
  private prevClose = 0;
  private value = 0;

  next(bar: { close: number; volume: number }): number {
    if (!this.started) {
      this.started = true;
      this.value = bar.volume;
    } else if (bar.close > this.prevClose) {
      this.value += bar.volume;
    } else if (bar.close < this.prevClose) {
      this.value -= bar.volume;
    }
    this.prevClose = bar.close;
    return this.value;
  }

  toState(): ObvState {
    return { kind: "obv", started: this.started, prevClose: this.prevClose, value: this.value };
  }

  static fromState(state: unknown): Obv {
    const s = checkState<ObvState>(state, "obv");
    const o = new Obv();
    o.started = s.started;
    o.prevClose = s.prevClose;
    o.value = s.value;
    return o;
  }
}
