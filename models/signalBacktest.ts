// The simplest honest backtest of a probability signal on held-out rows: long for the next bar when p > threshold,
// flat otherwise, each symbol with equal weight, against holding every symbol throughout. No costs, no sizing.

export interface SignalBacktest {
  /** Mean over symbols of Π(1 + position·r) - 1. */
  readonly strategyReturn: number;
  /** Mean over symbols of Π(1 + r) - 1 over the same bars. */
  readonly buyAndHoldReturn: number;
  /** Fraction of rows the signal was long. */
  readonly exposure: number;
  /** Flat → long transitions. */
  readonly entries: number;
  readonly rows: number;
  readonly symbols: number;
}

/**
 * @param p probability per row
 * @param symbols symbol per row (rows of one symbol in time order)
 * @param nextReturn return of the bar after each row
 * @example backtestSignal(heldOut.predictions, symbols, nextReturn) // { strategyReturn: 0.042, buyAndHoldReturn: 0.013, ... }
 */
export function backtestSignal(p: ArrayLike<number>, symbols: readonly string[], nextReturn: ArrayLike<number>, threshold = 0.5): SignalBacktest {
  const strat = new Map<string, number>();
  const hold = new Map<string, number>();
  const long = new Map<string, boolean>();
  let exposed = 0;
  let entries = 0;
  for (let i = 0; i < p.length; i++) {
    const s = symbols[i]!;
    const r = nextReturn[i]!;
    const isLong = p[i]! > threshold;
    if (isLong) exposed++;
    if (isLong && !long.get(s)) entries++;
    long.set(s, isLong);
    strat.set(s, (strat.get(s) ?? 1) * (1 + (isLong ? r : 0)));
    hold.set(s, (hold.get(s) ?? 1) * (1 + r));
  }
  const mean = (m: Map<string, number>): number => (m.size === 0 ? 0 : [...m.values()].reduce((a, b) => a + b - 1, 0) / m.size);
  return {
    strategyReturn: mean(strat),
    buyAndHoldReturn: mean(hold),
    exposure: p.length ? exposed / p.length : 0,
    entries,
    rows: p.length,
    symbols: strat.size,
  };
}
