// Double exponential moving average (Mulloy): 2·EMA − EMA(EMA), as TA-Lib DEMA.

import { Ema, type EmaState } from "./ema.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface DemaState {
  kind: "dema";
  period: number;
  ema1: EmaState;
  ema2: EmaState;
}

/**
 * DEMA = 2 * EMA1 - EMA2, where EMA2 is the EMA of EMA1's values; each EMA is seeded with the SMA of its first
 * `period` inputs (see `Ema`).
 *
 * Warm-up: `warmup = 2 * (period - 1)` (0-based index of the first input that yields a value).
 *
 * @example
 * const dema = new Dema(10); // first value on the 19th input
 * @param period period of both EMAs, >= 1
 */
export class Dema {
  readonly period: number;
  readonly warmup: number;
  private ema1: Ema;
  private ema2: Ema;

  constructor(period: number) {
    checkPeriod("dema", "period", period);
    this.period = period;
    this.warmup = 2 * (period - 1);
    this.ema1 = new Ema(period);
    this.ema2 = new Ema(period);
  }

  next(x: number): number | undefined {
    const e1 = this.ema1.next(x);
    if (e1 === undefined) return undefined;
    const e2 = this.ema2.next(e1);
    if (e2 === undefined) return undefined;
    return 2.0 * e1 - e2;
  }

  toState(): DemaState {
    return { kind: "dema", period: this.period, ema1: this.ema1.toState(), ema2: this.ema2.toState() };
  }

  static fromState(state: unknown): Dema {
    const s = checkState<DemaState>(state, "dema");
    const d = new Dema(s.period);
    d.ema1 = Ema.fromState(s.ema1);
    d.ema2 = Ema.fromState(s.ema2);
    return d;
  }
}
