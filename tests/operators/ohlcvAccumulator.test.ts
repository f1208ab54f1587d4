// ohlcvAccumulator: the shared OHLCV state of bars and resampleBars; arrival order for trades, event time for bars.
import { describe, expect, it } from "vitest";
import { addBarToOhlcv, addTradeToOhlcv, emptyOhlcv, ohlcvVwap, type OhlcvBar } from "../../operators/ohlcvAccumulator.ts";

const bar = (tsOpen: number, o: number, h: number, l: number, c: number, volume: number, vwap: number, trades: number): OhlcvBar => ({
  tsOpen: BigInt(tsOpen),
  open: o,
  high: h,
  low: l,
  close: c,
  volume,
  vwap,
  trades,
});

describe("ohlcvAccumulator", () => {
  it("starts empty: high −∞, low +∞, nothing traded", () => {
    expect(emptyOhlcv()).toEqual({ open: 0, openTs: 0n, high: -Infinity, low: Infinity, close: 0, closeTs: 0n, volume: 0, notional: 0, trades: 0 });
  });

  it("trades: the first opens, every later one closes (arrival order), volume and notional add up", () => {
    const a = emptyOhlcv();
    addTradeToOhlcv(a, 10n, 10, 100);
    addTradeToOhlcv(a, 30n, 12, 50);
    addTradeToOhlcv(a, 20n, 9, 10); // earlier in time, later in arrival: it is the close
    expect(a).toEqual({ open: 10, openTs: 10n, high: 12, low: 9, close: 9, closeTs: 20n, volume: 160, notional: 1000 + 600 + 90, trades: 3 });
    expect(ohlcvVwap(a)).toBe(1690 / 160);
  });

  it("bars: open from the earliest tsOpen, close from the latest (a tie goes to the later arrival), whatever the order", () => {
    const a = emptyOhlcv();
    addBarToOhlcv(a, bar(60, 2, 3, 1, 2.5, 10, 2, 4));
    addBarToOhlcv(a, bar(0, 1, 5, 0.5, 1.5, 30, 1, 6));
    addBarToOhlcv(a, bar(120, 3, 4, 2, 3.5, 0, 3, 0));
    addBarToOhlcv(a, bar(120, 3, 4, 2, 3.75, 0, 3, 0));
    expect(a).toMatchObject({ open: 1, openTs: 0n, high: 5, low: 0.5, close: 3.75, closeTs: 120n, volume: 40, notional: 2 * 10 + 1 * 30, trades: 10 });
    expect(ohlcvVwap(a)).toBe(50 / 40);
  });

  it("the VWAP of a bucket without volume is its close", () => {
    const a = emptyOhlcv();
    addBarToOhlcv(a, bar(0, 1, 1, 1, 1.25, 0, 1, 0));
    expect(ohlcvVwap(a)).toBe(1.25);
  });

  it("is plain data: a structuredClone snapshot continues exactly like the original", () => {
    const a = emptyOhlcv();
    addTradeToOhlcv(a, 1n, 10, 1);
    const copy = structuredClone(a);
    addTradeToOhlcv(a, 2n, 11, 2);
    addTradeToOhlcv(copy, 2n, 11, 2);
    expect(copy).toEqual(a);
  });
});
