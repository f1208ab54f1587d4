// priceWindowStats: price points → one feature row per symbol and window, labelled with the window shape.
import { describe, expect, it } from "vitest";
import type { PricePoint } from "../../../operators/windowAggregates.ts";
import { priceWindowStats, type WindowShape } from "../../../operators/priceWindowStats.ts";
import { chunk, END, flat, runChunks } from "./helpers.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";
import { mulberry32 } from "../../../models/prng.ts";

const S = 1_000_000_000n;
const pt = (symbol: string, sec: number, price: number, volume = 1): PricePoint => ({
  symbol,
  tsEvent: BigInt(sec) * S,
  price,
  volume,
  notional: price * volume,
});
const run = (window: WindowShape, points: PricePoint[], prefix?: string) =>
  flat(
    runChunks(
      priceWindowStats<PricePoint>({
        window,
        prefix,
        onLate: () => {
          throw new Error("no late points here");
        },
      }),
      [chunk(points, END)],
    ).out,
  );

describe("priceWindowStats", () => {
  const points = [pt("AAPL", 0, 10, 1), pt("AAPL", 30, 11, 3), pt("AAPL", 70, 12, 1)];

  it("tumbling: id <symbol>:<size>:<end>, tsEvent = end, timeframe = size, the prefixed statistics", () => {
    const rows = run({ type: "tumbling", size: "1m" }, points, "w.");
    expect(rows.map((r) => [r.id, r.tsEvent, r.timeframe])).toEqual([
      [`AAPL:1m:${60n * S}`, 60n * S, "1m"],
      [`AAPL:1m:${120n * S}`, 120n * S, "1m"],
    ]);
    expect(rows[0]!.values).toEqual({
      "w.count": 2,
      "w.volume": 4,
      "w.vwap": 43 / 4,
      "w.open": 10,
      "w.high": 11,
      "w.low": 10,
      "w.close": 11,
      "w.ret": 11 / 10 - 1,
      "w.retMean": 11 / 10 - 1,
      "w.retStd": 0,
    });
  });

  it("sliding windows are labelled size/slide, session windows session(gap)", () => {
    expect(new Set(run({ type: "sliding", size: "2m", slide: "1m" }, points).map((r) => r.timeframe))).toEqual(new Set(["2m/1m"]));
    const sessions = run({ type: "session", gap: "35s" }, points);
    expect(sessions.map((r) => [r.timeframe, r.values.count])).toEqual([
      ["session(35s)", 2],
      ["session(35s)", 1],
    ]);
  });

  it("passes late points to onLate", () => {
    const late: string[] = [];
    const op = priceWindowStats<PricePoint>({ window: { type: "tumbling", size: "1m" }, onLate: (p, reason) => late.push(`${p.tsEvent}: ${reason}`) });
    runChunks(op, [chunk([pt("X", 10, 1)], 120n * S), chunk([pt("X", 20, 1)], END)]);
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/^20000000000: .*already emitted/);
  });
});

describe("priceWindowStats checkpoints", () => {
  const rand = mulberry32(21);
  let sec = 0;
  const points = Array.from({ length: 240 }, () => {
    sec += 1 + Math.floor(rand() * 6);
    return pt(["AAPL", "MSFT"][Math.floor(rand() * 2)]!, sec, 100 + Math.floor(rand() * 50) / 10, 1 + Math.floor(rand() * 5));
  });
  const feeds = disorderedFeeds(points, { size: 9, seed: 22, lateEvery: 4, late: (p) => ({ ...p, price: p.price + 1 }) });
  const shapes: WindowShape[] = [
    { type: "tumbling", size: "1m" },
    { type: "sliding", size: "2m", slide: "30s" },
    { type: "session", gap: "10s" },
  ];

  it.each(shapes)("resumes from a checkpoint after any chunk: $type windows", (window) => {
    expectResumesAfterAnyChunk(
      (late) =>
        ([points$]) =>
          points$.pipe(
            priceWindowStats<PricePoint>({ window, allowedLatenessNs: 5n * S, prefix: "w.", onLate: (p, why) => late.push(`${p.tsEvent}: ${why}`) }),
          ),
      feeds,
      { minOutputs: 10, minLate: 5 },
    );
  });
});
