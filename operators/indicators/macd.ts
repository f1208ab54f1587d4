// MACD line, signal and histogram exactly as TA-Lib's MACD computes them (not technicalindicators', which seeds differently).

import { Ema, type EmaState } from "./ema.ts";
import { checkPeriod, checkState } from "./types.ts";

export interface MacdValue {
  macd: number;
  signal: number;
  hist: number;
}

export interface MacdState {
  kind: "macd";
  fastPeriod: number;
  slowPeriod: number;
  signalPeriod: number;
  count: number;
  fast: EmaState;
  slow: EmaState;
  signal: EmaState;
}

/**
 * MACD = EMA(fast) − EMA(slow); signal = EMA(signalPeriod) of MACD; hist = MACD − signal.
 *
 * TA-Lib's seeding, reproduced here: each EMA is seeded with the SMA of its first `period` inputs, and the fast
 * EMA starts `slow − fast` bars late so that both seed windows end on the same bar (input `slow − 1`): the fast
 * EMA is seeded from inputs [slow − fast, slow − 1], not [0, fast − 1]. The signal EMA is seeded with the mean of
 * the first `signalPeriod` MACD values. TA-Lib emits nothing until the signal exists, and neither does this.
 *
 * Warm-up: `warmup = (slowPeriod − 1) + (signalPeriod − 1)` (0-based index of the first input that yields a
 * value): 33 for MACD(12, 26, 9), i.e. the first value comes with the 34th close.
 *
 * @example
 * const macd = new Macd(12, 26, 9);
 * const v = macd.next(close); // undefined, or { macd, signal, hist }
 * @param fastPeriod fast EMA period, >= 1 and < slowPeriod
 * @param slowPeriod slow EMA period
 * @param signalPeriod signal EMA period, >= 1
 */
export class Macd {
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  readonly warmup: number;
  private count = 0;
  private fast: Ema;
  private slow: Ema;
  private signal: Ema;

  constructor(fastPeriod = 12, slowPeriod = 26, signalPeriod = 9) {
    checkPeriod("macd", "fastPeriod", fastPeriod);
    checkPeriod("macd", "slowPeriod", slowPeriod);
    checkPeriod("macd", "signalPeriod", signalPeriod);
    if (fastPeriod >= slowPeriod) {
      throw new RangeError(`macd: fastPeriod (${fastPeriod}) must be smaller than slowPeriod (${slowPeriod})`);
    }
    this.fastPeriod = fastPeriod;
    this.slowPeriod = slowPeriod;
    this.signalPeriod = signalPeriod;
    this.warmup = slowPeriod - 1 + (signalPeriod - 1);
    this.fast = new Ema(fastPeriod);
    this.slow = new Ema(slowPeriod);
    this.signal = new Ema(signalPeriod);
  }

  next(x: number): MacdValue | undefined {
    const index = this.count;
    if (index < this.warmup) this.count++;
    const slow = this.slow.next(x);
    const fast = index >= this.slowPeriod - this.fastPeriod ? this.fast.next(x) : undefined;
    if (slow === undefined || fast === undefined) return undefined;
    const macd = fast - slow;
    const signal = this.signal.next(macd);
    if (signal === undefined) return undefined;
    return { macd, signal, hist: macd - signal };
  }

  toState(): MacdState {
    return {
      kind: "macd",
      fastPeriod: this.fastPeriod,
      slowPeriod: this.slowPeriod,
      signalPeriod: this.signalPeriod,
      count: this.count,
      fast: this.fast.toState(),
      slow: this.slow.toState(),
      signal: this.signal.toState(),
    };
  }

  static fromState(state: unknown): Macd {
    const s = checkState<MacdState>(state, "macd");
    const m = new Macd(s.fastPeriod, s.slowPeriod, s.signalPeriod);
    m.count = s.count;
    m.fast = Ema.fromState(s.fast);
    m.slow = Ema.fromState(s.slow);
    m.signal = Ema.fromState(s.signal);
    return m;
  }
}
