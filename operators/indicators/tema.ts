// Triple exponential moving average (Mulloy): 3·EMA1 − 3·EMA2 + EMA3, as TA-Lib TEMA.

import { Ema, type EmaState } from "./ema.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface TemaState {
  kind: "tema";
  period: number;
  ema1: EmaState;
  ema2: EmaState;
  ema3: EmaState;
}

/**
 * TEMA = EMA3 + (3 * EMA1 - 3 * EMA2) (TA-Lib's grouping), where EMA2 smooths EMA1 and EMA3 smooths EMA2; each
 * EMA is seeded with the SMA of its first `period` inputs. Not to be confused with TRIX's EMA³.
 *
 * Warm-up: `warmup = 3 * (period - 1)` (0-based index of the first input that yields a value).
 *
 * @example
 * const tema = new Tema(10); // first value on the 28th input
 * @param period period of the three EMAs, >= 1
 */
export class Tema {
  readonly period: number;
  readonly warmup: number;
  private ema1: Ema;
  private ema2: Ema;
  private ema3: Ema;

  constructor(period: number) {
    checkPeriod("tema", "period", period);
    this.period = period;
    this.warmup = 3 * (period - 1);
    this.ema1 = new Ema(period);
    this.ema2 = new Ema(period);
    this.ema3 = new Ema(period);
  }

  next(x: number): number | undefined {
    const e1 = this.ema1.next(x);
    if (e1 === undefined) return undefined;
    const e2 = this.ema2.next(e1);
    if (e2 === undefined) return undefined;
    const e3 = this.ema3.next(e2);
    if (e3 === undefined) return undefined;
    return e3 + (3.0 * e1 - 3.0 * e2);
  }

  toState(): TemaState {
    return { kind: "tema", period: this.period, ema1: this.ema1.toState(), ema2: this.ema2.toState(), ema3: this.ema3.toState() };
  }

  static fromState(state: unknown): Tema {
    const s = checkState<TemaState>(state, "tema");
    const t = new Tema(s.period);
    t.ema1 = Ema.fromState(s.ema1);
    t.ema2 = Ema.fromState(s.ema2);
    t.ema3 = Ema.fromState(s.ema3);
    return t;
  }
}
