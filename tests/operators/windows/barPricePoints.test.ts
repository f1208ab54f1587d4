// barPricePoints: a bar becomes one price point at its last instant (tsEvent − 1 ns); the watermark moves with it.
import { describe, expect, it } from "vitest";
import { WATERMARK_END, WATERMARK_START } from "../../../core/chunk.ts";
import type { Bar } from "../../../schemas/bar.ts";
import { barPricePoints } from "../../../operators/barPricePoints.ts";
import { chunk, minuteBar, runChunks } from "./helpers.ts";

const MIN = 60_000_000_000n;
const bar = (i: number, close: number, volume: number, vwap: number): Bar => minuteBar(i, close, { volume, vwap });

describe("barPricePoints", () => {
  it("places each bar at tsEvent − 1 ns with its close, volume and vwap × volume, and keeps the bar as src", () => {
    const b = bar(0, 10.5, 200, 10.25);
    const { out } = runChunks(barPricePoints(), [chunk([b], MIN)]);
    expect(out).toEqual([chunk([{ symbol: "AAPL", tsEvent: MIN - 1n, price: 10.5, volume: 200, notional: 2050, src: b }], MIN - 1n)]);
  });

  it("moves the watermark back by 1 ns, except the start and end sentinels; empty chunks pass through", () => {
    const { out } = runChunks(barPricePoints(), [
      chunk<Bar>([], WATERMARK_START),
      chunk<Bar>([], 5n * MIN),
      chunk<Bar>([], 5n * MIN),
      chunk<Bar>([], WATERMARK_END),
    ]);
    expect(out.map((c) => c.watermark)).toEqual([WATERMARK_START, 5n * MIN - 1n, 5n * MIN - 1n, WATERMARK_END]);
  });
});
