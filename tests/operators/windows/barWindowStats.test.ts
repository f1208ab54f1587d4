// barWindowStats: bars → window statistics of the closes; a 5m window holds the five 1m bars ending by its end.
import { describe, expect, it } from "vitest";
import type { Bar } from "../../../schemas/bar.ts";
import { barWindowStats } from "../../../operators/barWindowStats.ts";
import { chunk, END, flat, minuteBar, runChunks } from "./helpers.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const MIN = 60_000_000_000n;
const bar = (i: number, close: number, symbol = "AAPL"): Bar => minuteBar(i, close, { symbol });

describe("barWindowStats", () => {
  it("puts the bars [0, 1m) … [4m, 5m) in the window [0, 5m) and the next bar in the next window", () => {
    const late: Bar[] = [];
    const op = barWindowStats({ window: { type: "tumbling", size: "5m" }, onLate: (b) => late.push(b) });
    const rows = flat(
      runChunks(op, [
        chunk(
          [1, 2, 3, 4, 5, 6].map((c, i) => bar(i, c)),
          END,
        ),
      ]).out,
    );
    expect(rows.map((r) => [r.id, r.values.count, r.values.open, r.values.close, r.values.vwap])).toEqual([
      [`AAPL:5m:${5n * MIN}`, 5, 1, 5, 3],
      [`AAPL:5m:${10n * MIN}`, 1, 6, 6, 6],
    ]);
    expect(late).toEqual([]);
  });

  it("emits a window once the bars' watermark reaches its end, and hands a late bar itself to onLate", () => {
    const late: [Bar, string][] = [];
    const op = barWindowStats({ window: { type: "tumbling", size: "5m" }, prefix: "w.", onLate: (b, reason) => late.push([b, reason]) });
    const old = bar(2, 99);
    const { out } = runChunks(op, [chunk([bar(4, 1)], 5n * MIN), chunk([], 5n * MIN + 1n), chunk([old], 6n * MIN)]);
    // Watermark 5m does not yet promise the bar ending at 5m; just past it, [0, 5m) is complete.
    expect(out.map((c) => c.items.map((r) => r.values["w.close"]))).toEqual([[], [1], []]);
    expect(late.map(([b]) => b)).toEqual([old]);
    expect(late[0]![1]).toMatch(/already emitted/);
  });
});

describe("barWindowStats checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const bars = Array.from({ length: 60 }, (_, i) => [bar(i, 10 + (i % 7)), bar(i, 50 - (i % 5), "MSFT")]).flat();
    const feeds = disorderedFeeds(bars, { size: 5, seed: 31, lateEvery: 2, late: (b) => ({ ...b, close: b.close + 1 }) });
    expectResumesAfterAnyChunk(
      (late) =>
        ([bars$]) =>
          bars$.pipe(barWindowStats({ window: { type: "sliding", size: "15m", slide: "5m" }, onLate: (b, why) => late.push(`${b.tsOpen}: ${why}`) })),
      feeds,
      { minOutputs: 20, minLate: 5 },
    );
  });
});
