// The OHLCV accumulator `bars` (trades → bars) and `resampleBars` (bars → bars) share: plain data plus pure update
// functions, so an operator's open bars can be snapshotted and restored as they are.
import type { Bar } from "../schemas/bar.ts";

/**
 * Open, high, low, close, volume, notional (Σ price × size, for the VWAP) and trade count of one bucket. Plain
 * data (numbers and bigints): `structuredClone` copies it. Empty while `high` is −∞.
 */
export interface OhlcvAccumulator {
  open: number;
  /** When the open happened: the first trade's time, or the earliest bar's `tsOpen`. */
  openTs: bigint;
  high: number;
  low: number;
  close: number;
  /** When the close happened: the last trade's time, or the latest bar's `tsOpen`. */
  closeTs: bigint;
  volume: number;
  notional: number;
  trades: number;
}

/** An accumulator with nothing in it yet. */
export function emptyOhlcv(): OhlcvAccumulator {
  return { open: 0, openTs: 0n, high: -Infinity, low: Infinity, close: 0, closeTs: 0n, volume: 0, notional: 0, trades: 0 };
}

/**
 * Adds one trade in arrival order: the first trade sets the open, every trade sets the close (trades of one bar
 * reach `bars` in order; one that is not is still the latest seen).
 *
 * @example
 * const a = emptyOhlcv(); addTradeToOhlcv(a, 1n, 10, 100); addTradeToOhlcv(a, 2n, 12, 50); // a.close 12, a.volume 150
 * @param acc the accumulator, updated in place
 * @param tsEvent the trade's event time
 * @param price trade price
 * @param size traded quantity
 */
export function addTradeToOhlcv(acc: OhlcvAccumulator, tsEvent: bigint, price: number, size: number): void {
  if (acc.high === -Infinity) {
    acc.open = price;
    acc.openTs = tsEvent;
  }
  if (price > acc.high) acc.high = price;
  if (price < acc.low) acc.low = price;
  acc.close = price;
  acc.closeTs = tsEvent;
  acc.volume += size;
  acc.notional += price * size;
  acc.trades++;
}

/** The fields of a bar that `addBarToOhlcv` reads. */
export interface OhlcvBar {
  readonly tsOpen: bigint;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly vwap: number;
  readonly trades: number;
}

/**
 * Adds one finer bar in event-time order, whatever order bars arrive in: the open comes from the bar with the
 * earliest `tsOpen`, the close from the latest (the later arrival on a tie); volume and trades add up, notional
 * grows by vwap × volume.
 *
 * @example
 * const a = emptyOhlcv(); addBarToOhlcv(a, bar1m); addBarToOhlcv(a, bar2m); // one 2-minute bar's worth
 * @param acc the accumulator, updated in place
 * @param bar the bar to add
 */
export function addBarToOhlcv(acc: OhlcvAccumulator, bar: OhlcvBar): void {
  if (acc.high === -Infinity) {
    acc.open = bar.open;
    acc.openTs = bar.tsOpen;
    acc.close = bar.close;
    acc.closeTs = bar.tsOpen;
  } else {
    if (bar.tsOpen < acc.openTs) {
      acc.open = bar.open;
      acc.openTs = bar.tsOpen;
    }
    if (bar.tsOpen >= acc.closeTs) {
      acc.close = bar.close;
      acc.closeTs = bar.tsOpen;
    }
  }
  if (bar.high > acc.high) acc.high = bar.high;
  if (bar.low < acc.low) acc.low = bar.low;
  acc.volume += bar.volume;
  acc.notional += bar.vwap * bar.volume;
  acc.trades += bar.trades;
}

/**
 * The volume-weighted average price: notional / volume, or the close when no volume traded.
 *
 * @example
 * ohlcvVwap({ ...emptyOhlcv(), close: 10, volume: 200, notional: 2130 }); // 10.65
 * @param acc the accumulator
 */
export function ohlcvVwap(acc: OhlcvAccumulator): number {
  return acc.volume > 0 ? acc.notional / acc.volume : acc.close;
}

/**
 * The bar an accumulator describes, for one symbol and interval.
 *
 * @example
 * ohlcvBar(acc, "AAPL", "1m", 0n, 60_000_000_000n); // { symbol: "AAPL", timeframe: "1m", tsOpen: 0n, tsEvent: 60000000000n, open, ... }
 * @param acc the accumulator
 * @param symbol, timeframe, tsOpen, tsEvent the bar's key and interval [tsOpen, tsEvent)
 */
export function ohlcvBar(acc: OhlcvAccumulator, symbol: string, timeframe: string, tsOpen: bigint, tsEvent: bigint): Bar {
  return {
    symbol,
    timeframe,
    tsOpen,
    tsEvent,
    open: acc.open,
    high: acc.high,
    low: acc.low,
    close: acc.close,
    volume: acc.volume,
    vwap: ohlcvVwap(acc),
    trades: acc.trades,
  };
}
