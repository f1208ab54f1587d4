// Replay decodes recorded inputs into the very objects live decoding gives: same fields, no extra keys, plain
// objects as far as an operator can tell (spreading, listing keys or serialising an input gives the same result).
import { describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { readRecording } from "../../replay/replayReader.ts";
import { BarMessage, NewsMessage, TradeMessage, type Bar, type News, type Trade } from "../../schemas/index.ts";
import { jetstreamSource } from "../helpers/sources.ts";

const src = jetstreamSource;

describe("replay decoding", () => {
  it("gives back exactly what live decoding gave, for trades, bars and news", async () => {
    await withDatabase(async (db) => {
      const wire = (o: object) => new TextEncoder().encode(JSON.stringify(o));
      const trades: Trade[] = [
        TradeMessage.decodeBytes(wire({ v: 1, type: "trade", id: "t1", symbol: "AAPL", tsEvent: "1000", price: 10.5, size: 3, side: "buy" }), "t1"),
        TradeMessage.decodeBytes(wire({ v: 1, type: "trade", id: "t2", symbol: "MSFT", tsEvent: "2000", price: 20.25, size: 1 }), "t2"),
      ];
      const bars: Bar[] = [
        BarMessage.decodeBytes(
          wire({
            v: 1,
            type: "bar",
            symbol: "AAPL",
            timeframe: "1m",
            tsOpen: "0",
            tsEvent: "1500",
            open: 1,
            high: 2,
            low: 0.5,
            close: 1.5,
            volume: 10,
            vwap: 1.2,
            trades: 4,
          }),
          "b1",
        ),
      ];
      const news: News[] = [
        NewsMessage.decodeBytes(wire({ v: 1, type: "news", id: "n1", source: "wire", tsEvent: "1200", headline: "AAPL beats", symbols: ["AAPL"] }), "n1"),
      ];
      const sink = new DuckDbRecorder(db);
      await sink.writeInputs(
        TradeMessage,
        trades,
        trades.map((_, i) => ({ subject: "md.trades.X", streamSeq: BigInt(i + 1) })),
      );
      await sink.writeInputs(BarMessage, bars, [{ subject: "md.bars.1m.AAPL", streamSeq: 1n }]);
      await sink.writeInputs(NewsMessage, news, [{ subject: "news.wire", streamSeq: 1n }]);
      const got: unknown[] = [];
      for await (const b of readRecording(db, [src("t", "trade", 0, ["md.trades.>"]), src("b", "bar", 1, ["md.bars.>"]), src("n", "news", 2, ["news.>"])]))
        got.push(...b.items);
      const expected = [trades[0], news[0], bars[0], trades[1]];
      // What an operator can do with an input gives the same result: read fields, spread, list keys, serialise.
      expect(got.map((x) => ({ ...(x as object) }))).toStrictEqual(expected);
      expect(got.map((x) => Object.keys(x as object))).toEqual(expected.map((x) => Object.keys(x!)));
      expect((got[0] as Trade).id).toBe("t1");
      expect("side" in (got[3] as object)).toBe(false);
      expect(JSON.stringify(got, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toBe(
        JSON.stringify(expected, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
      );
    });
  });
});
