// tradeWindowStats: trades → window statistics of the prices; a late trade reaches onLate as the trade.
import { describe, expect, it } from "vitest";
import type { Trade } from "../../../schemas/trade.ts";
import { tradeWindowStats } from "../../../operators/tradeWindowStats.ts";
import { chunk, END, flat, runChunks } from "./helpers.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";
import { mulberry32 } from "../../../models/prng.ts";

const S = 1_000_000_000n;
const trade = (id: string, sec: number, price: number, size: number): Trade => ({ id, symbol: "MSFT", tsEvent: BigInt(sec) * S, price, size });

describe("tradeWindowStats", () => {
  it("one row per window with count, volume and the size-weighted vwap", () => {
    const op = tradeWindowStats({ window: { type: "tumbling", size: "1m" }, onLate: () => undefined });
    const rows = flat(runChunks(op, [chunk([trade("a", 1, 10, 1), trade("b", 2, 20, 3), trade("c", 61, 30, 1)], END)]).out);
    expect(rows.map((r) => [r.timeframe, r.tsEvent, r.values.count, r.values.volume, r.values.vwap])).toEqual([
      ["1m", 60n * S, 2, 4, 70 / 4],
      ["1m", 120n * S, 1, 1, 30],
    ]);
  });

  it("respects allowed lateness, then hands a late trade itself to onLate", () => {
    const late: Trade[] = [];
    const op = tradeWindowStats({ window: { type: "tumbling", size: "1m" }, allowedLatenessNs: 5n * S, onLate: (t) => late.push(t) });
    const ok = trade("in-time", 50, 11, 1);
    const tooLate = trade("too-late", 55, 12, 1);
    const { out } = runChunks(op, [
      chunk([trade("a", 10, 10, 1)], 62n * S),
      chunk([ok], 64n * S),
      chunk([], 65n * S),
      chunk([tooLate], 66n * S),
      chunk([], END),
    ]);
    expect(flat(out).map((r) => r.values.count)).toEqual([2]); // a and in-time; too-late came after the watermark passed end + lateness (65 s)
    expect(late).toEqual([tooLate]);
  });
});

describe("tradeWindowStats checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const rand = mulberry32(41);
    let sec = 0;
    const trades = Array.from({ length: 200 }, (_, i) => {
      sec += 1 + Math.floor(rand() * (rand() < 0.1 ? 60 : 8)); // now and then a pause that ends the session
      return trade(`t${i}`, sec, 20 + Math.floor(rand() * 40) / 10, 1 + Math.floor(rand() * 4));
    });
    const feeds = disorderedFeeds(trades, { size: 7, seed: 42, lateEvery: 3, late: (t) => ({ ...t, id: `${t.id}-again` }) });
    expectResumesAfterAnyChunk(
      (late) =>
        ([trades$]) =>
          trades$.pipe(
            tradeWindowStats({ window: { type: "session", gap: "30s" }, allowedLatenessNs: 3n * S, onLate: (t, why) => late.push(`${t.id}: ${why}`) }),
          ),
      feeds,
      { minOutputs: 5, minLate: 5 },
    );
  });
});
