// Slow stochastic oscillator %K/%D (TA-Lib STOCH with SMA smoothing of both lines).

import { RollingExtreme, type RollingExtremeState } from "./rollingExtreme.ts";
import { Sma, type SmaState } from "./sma.ts";
import { checkPeriod, checkState, type HlcBar } from "./types.ts";

export interface StochasticValue {
  k: number;
  d: number;
}

export interface StochasticState {
  kind: "stoch";
  kPeriod: number;
  kSmoothing: number;
  dPeriod: number;
  highest: RollingExtremeState;
  lowest: RollingExtremeState;
  slowK: SmaState;
  slowD: SmaState;
}

/**
 * fast %K = 100 · (close − lowest low) / (highest high − lowest low) over `kPeriod` bars (0 when the range is 0,
 * computed as TA-Lib does: (close − low) / ((high − low) / 100)); %K = SMA(kSmoothing) of fast %K;
 * %D = SMA(dPeriod) of %K. The highest/lowest come from monotonic deques, O(1) amortised.
 *
 * Warm-up: `warmup = (kPeriod − 1) + (kSmoothing − 1) + (dPeriod − 1)` (0-based index of the first bar that
 * yields a value): 17 for (14, 3, 3).
 *
 * @example
 * const stoch = new Stochastic(14, 3, 3);
 * const v = stoch.next({ high, low, close }); // undefined, or { k, d }
 * @param kPeriod look-back of the high/low range (default 14; TA-Lib's default is 5)
 * @param kSmoothing SMA period turning fast %K into %K (default 3; 1 gives the fast stochastic)
 * @param dPeriod SMA period of %D (default 3)
 */
export class Stochastic {
  readonly kPeriod: number;
  readonly kSmoothing: number;
  readonly dPeriod: number;
  readonly warmup: number;
  private highest: RollingExtreme;
  private lowest: RollingExtreme;
  private slowK: Sma;
  private slowD: Sma;
  private seen = 0;

  constructor(kPeriod = 14, kSmoothing = 3, dPeriod = 3) {
    checkPeriod("stoch", "kPeriod", kPeriod);
    checkPeriod("stoch", "kSmoothing", kSmoothing);
    checkPeriod("stoch", "dPeriod", dPeriod);
    this.kPeriod = kPeriod;
    this.kSmoothing = kSmoothing;
    this.dPeriod = dPeriod;
    this.warmup = kPeriod - 1 + (kSmoothing - 1) + (dPeriod - 1);
    this.highest = new RollingExtreme(kPeriod, "max");
    this.lowest = new RollingExtreme(kPeriod, "min");
    this.slowK = new Sma(kSmoothing);
    this.slowD = new Sma(dPeriod);
  }

  next(bar: HlcBar): StochasticValue | undefined {
    const highest = this.highest.push(bar.high);
    const lowest = this.lowest.push(bar.low);
    if (this.seen < this.kPeriod - 1) {
      this.seen++;
      return undefined;
    }
    const diff = (highest - lowest) / 100.0;
    const fastK = diff !== 0 ? (bar.close - lowest) / diff : 0.0;
    const k = this.slowK.next(fastK);
    if (k === undefined) return undefined;
    const d = this.slowD.next(k);
    if (d === undefined) return undefined;
    return { k, d };
  }

  toState(): StochasticState {
    return {
      kind: "stoch",
      kPeriod: this.kPeriod,
      kSmoothing: this.kSmoothing,
      dPeriod: this.dPeriod,
      highest: this.highest.toState(),
      lowest: this.lowest.toState(),
      slowK: this.slowK.toState(),
      slowD: this.slowD.toState(),
    };
  }

  static fromState(state: unknown): Stochastic {
    const s = checkState<StochasticState>(state, "stoch");
    const st = new Stochastic(s.kPeriod, s.kSmoothing, s.dPeriod);
    st.highest = RollingExtreme.fromState(s.highest);
    st.lowest = RollingExtreme.fromState(s.lowest);
    st.slowK = Sma.fromState(s.slowK);
    st.slowD = Sma.fromState(s.slowD);
    st.seen = Math.min(s.highest.seq, s.kPeriod - 1);
    return st;
  }
}
