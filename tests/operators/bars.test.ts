// bars: marble tests of trades → OHLCV bars per symbol, emitted when the watermark reaches a bar's end.
import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import { of, Subject } from "rxjs";
import { bars } from "../../operators/bars.ts";
import { WATERMARK_END, type Chunk } from "../../core/chunk.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { Trade } from "../../schemas/trade.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "./resumeCheck.ts";
import { mulberry32 } from "../../models/prng.ts";

const S = 1_000_000_000n;
const M = 60n * S;
let n = 0;
const trade = (symbol: string, atSeconds: number, price: number, size: number): Trade => ({
  id: `t${n++}`,
  symbol,
  tsEvent: BigInt(Math.round(atSeconds * 1e3)) * 1_000_000n,
  price,
  size,
});
const chunk = <T>(items: T[], watermark: bigint): Chunk<T> => ({ items, watermark });
const bar = (symbol: string, startMinute: number, o: number, h: number, l: number, c: number, volume: number, vwap: number, trades: number): Bar => ({
  symbol,
  timeframe: "1m",
  tsOpen: BigInt(startMinute) * M,
  tsEvent: BigInt(startMinute + 1) * M,
  open: o,
  high: h,
  low: l,
  close: c,
  volume,
  vwap,
  trades,
});

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe("bars (marble)", () => {
  it("aggregates in-order trades and emits a bar only when the watermark reaches its end", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b-c-d-e|", {
        a: chunk([trade("AAPL", 0, 10, 100), trade("AAPL", 10, 12, 50)], 10n * S),
        b: chunk([trade("AAPL", 20, 9, 10), trade("AAPL", 59.999, 11, 40)], 59n * S),
        c: chunk([], M - 1n), // one nanosecond short of the end: still open
        d: chunk([trade("AAPL", 60, 20, 1)], M), // a trade at the boundary opens the next bar; the watermark closes the first
        e: chunk([], WATERMARK_END),
      });
      // notional 1000 + 600 + 90 + 440 = 2130 over volume 200
      expectObservable(input.pipe(bars({ timeframe: "1m" }))).toBe("a-b-c-d-e|", {
        a: chunk([], 10n * S),
        b: chunk([], 59n * S),
        c: chunk([], M - 1n),
        d: chunk([bar("AAPL", 0, 10, 12, 9, 11, 200, 10.65, 4)], M),
        e: chunk([bar("AAPL", 1, 20, 20, 20, 20, 1, 20, 1)], WATERMARK_END),
      });
    });
  });

  it("emits nothing for intervals without trades", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b|", {
        a: chunk([trade("AAPL", 5, 10, 1), trade("AAPL", 200, 12, 3)], 200n * S),
        b: chunk([], 10n * M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m" }))).toBe("a-b|", {
        a: chunk([bar("AAPL", 0, 10, 10, 10, 10, 1, 10, 1)], 200n * S),
        b: chunk([bar("AAPL", 3, 12, 12, 12, 12, 3, 12, 1)], 10n * M),
      });
    });
  });

  it("emits several symbols' bars in (end, symbol) order whatever the trade order", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b|", {
        a: chunk([trade("MSFT", 1, 300, 1), trade("AAPL", 2, 10, 1), trade("MSFT", 61, 301, 1), trade("NVDA", 30, 50, 2)], 61n * S),
        b: chunk([trade("AAPL", 150, 11, 1)], 3n * M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m" }))).toBe("a-b|", {
        a: chunk([bar("AAPL", 0, 10, 10, 10, 10, 1, 10, 1), bar("MSFT", 0, 300, 300, 300, 300, 1, 300, 1), bar("NVDA", 0, 50, 50, 50, 50, 2, 50, 1)], 61n * S),
        b: chunk([bar("MSFT", 1, 301, 301, 301, 301, 1, 301, 1), bar("AAPL", 2, 11, 11, 11, 11, 1, 11, 1)], 3n * M),
      });
    });
  });

  it("sends a trade older than its symbol's open bar to onLate and leaves the bar as it was", () => {
    const late: [string, string][] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b-c|", {
        a: chunk([trade("AAPL", 70, 10, 1)], 70n * S),
        b: chunk([{ ...trade("AAPL", 30, 99, 1000), id: "old" }], 80n * S),
        c: chunk([], 2n * M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m", onLate: (t, reason) => late.push([t.id, reason]) }))).toBe("a-b-c|", {
        a: chunk([], 70n * S),
        b: chunk([], 80n * S),
        c: chunk([bar("AAPL", 1, 10, 10, 10, 10, 1, 10, 1)], 2n * M),
      });
    });
    expect(late).toEqual([["old", `trade at ${30n * S} is before the open 1m bar of AAPL starting at ${M}`]]);
  });

  it("sends a trade for an interval already emitted to onLate instead of emitting that bar twice", () => {
    const late: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b-c|", {
        a: chunk([trade("AAPL", 10, 10, 1)], M), // bar [0, 1m) emitted here; AAPL has no open bar afterwards
        b: chunk([{ ...trade("AAPL", 20, 99, 5), id: "after-close" }], 90n * S),
        c: chunk([], 3n * M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m", onLate: (t) => late.push(t.id) }))).toBe("a-b-c|", {
        a: chunk([bar("AAPL", 0, 10, 10, 10, 10, 1, 10, 1)], M),
        b: chunk([], 90n * S),
        c: chunk([], 3n * M),
      });
    });
    expect(late).toEqual(["after-close"]);
  });

  it("emits an empty chunk for each watermark advance and nothing for a repeated watermark", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-b-c-d|", {
        a: chunk([trade("AAPL", 1, 10, 1)], 1n * S),
        b: chunk([], 30n * S),
        c: chunk([], 30n * S),
        d: chunk([], M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m" }))).toBe("a-b---d|", {
        a: chunk([], 1n * S),
        b: chunk([], 30n * S),
        d: chunk([bar("AAPL", 0, 10, 10, 10, 10, 1, 10, 1)], M),
      });
    });
  });

  it("unsubscribes from its input when the consumer unsubscribes early", () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const input = hot<Chunk<Trade>>("-a-b-c-d|", {
        a: chunk([trade("AAPL", 1, 10, 1)], 1n * S),
        b: chunk([], M),
        c: chunk([trade("AAPL", 70, 11, 1)], 2n * M),
        d: chunk([], 3n * M),
      });
      expectObservable(input.pipe(bars({ timeframe: "1m" })), "^----!").toBe("-a-b-", {
        a: chunk([], 1n * S),
        b: chunk([bar("AAPL", 0, 10, 10, 10, 10, 1, 10, 1)], M),
      });
      expectSubscriptions(input.subscriptions).toBe("^----!");
    });
  });

  it("passes errors through and completes with its input", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Chunk<Trade>>("a-#", { a: chunk([trade("AAPL", 1, 10, 1)], 1n * S) }, new Error("feed broke"));
      expectObservable(input.pipe(bars({ timeframe: "1m" }))).toBe("a-#", { a: chunk([], 1n * S) }, new Error("feed broke"));
    });
  });

  it("aligns bars to the epoch, before 1970 too, and for other timeframes", () => {
    const out: Bar[] = [];
    of(chunk([trade("X", -30, 5, 1), trade("X", 3599, 6, 1), trade("X", 3600, 7, 1)], WATERMARK_END))
      .pipe(bars({ timeframe: "1h" }))
      .subscribe((c) => out.push(...c.items));
    expect(out.map((b) => [b.tsOpen, b.tsEvent, b.close])).toEqual([
      [-3600n * S, 0n, 5],
      [0n, 3600n * S, 6],
      [3600n * S, 7200n * S, 7],
    ]);
    expect(() => bars({ timeframe: "7x" })).toThrow(/unknown timeframe "7x"/);
  });

  it("keeps state per subscription, so a second run starts fresh", () => {
    const input = new Subject<Chunk<Trade>>();
    const op = bars({ timeframe: "1m" });
    const first: Bar[] = [];
    const second: Bar[] = [];
    input.pipe(op).subscribe((c) => first.push(...c.items));
    input.next(chunk([trade("AAPL", 1, 10, 1)], S));
    input.pipe(op).subscribe((c) => second.push(...c.items));
    input.next(chunk([trade("AAPL", 2, 20, 1)], M));
    expect(first.map((b) => [b.open, b.close, b.trades])).toEqual([[10, 20, 2]]);
    expect(second.map((b) => [b.open, b.close, b.trades])).toEqual([[20, 20, 1]]);
  });
});

describe("bars with trades that would overflow", () => {
  it("rejects a trade whose size would make the bar's volume or notional non-finite, and keeps the bar", () => {
    const t0 = 1_704_205_800_000_000_000n;
    const rejected: string[] = [];
    const out: Bar[] = [];
    const trades: Trade[] = [
      { id: "ok", symbol: "AAPL", tsEvent: t0, price: 100, size: 10 },
      { id: "huge", symbol: "AAPL", tsEvent: t0 + 1n, price: 1e200, size: 1e200 },
      { id: "ok2", symbol: "AAPL", tsEvent: t0 + 2n, price: 101, size: 5 },
    ];
    of({ items: trades, watermark: t0 + 10n }, { items: [], watermark: t0 + 120_000_000_000n })
      .pipe(bars({ timeframe: "1m", onReject: (t, reason, field) => rejected.push(`${t.id} ${field} ${reason}`) }))
      .subscribe((c) => out.push(...c.items));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/^huge size trade huge would make the 1m bar of AAPL overflow/);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ volume: 15, high: 101, trades: 2, close: 101 });
    expect(out[0]!.vwap).toBeCloseTo((100 * 10 + 101 * 5) / 15, 12);
  });
});

describe("bars checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const rand = mulberry32(7);
    const t0 = 1_704_205_800_000_000_000n;
    let at = t0;
    const trades = Array.from({ length: 400 }, (_, i): Trade => {
      at += BigInt(Math.floor(rand() * 2_500)) * 1_000_000n; // 0 to 2.5 s apart: ~8 minutes, several trades per bar
      // RARE trades seldom, so its bar is emitted and a late copy finds no open bar.
      const symbol = rand() < 0.04 ? "RARE" : ["AAPL", "MSFT", "ZZZ"][Math.floor(rand() * 3)]!;
      return { id: `t${i}`, symbol, tsEvent: at, price: 100 + Math.floor(rand() * 100) / 10, size: 1 + Math.floor(rand() * 9) };
    });
    const feeds = disorderedFeeds(trades, { size: 11, seed: 8, lateEvery: 3, late: (t) => ({ ...t, id: `${t.id}-again` }) });
    const { late } = expectResumesAfterAnyChunk<Bar>(
      (late) =>
        ([trades$]) =>
          trades$.pipe(bars({ timeframe: "1m", onLate: (t, why) => late.push(`${t.id}: ${why}`) })),
      feeds,
      { minOutputs: 20, minLate: 20 },
    );
    expect(late.some((l) => l.includes("before the open"))).toBe(true);
    expect(late.some((l) => l.includes("that closed at"))).toBe(true);
  });
});
