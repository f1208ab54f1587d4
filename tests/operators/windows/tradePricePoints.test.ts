// tradePricePoints: a trade becomes one price point (price, size, price × size) at its own time.
import { describe, expect, it } from "vitest";
import type { Trade } from "../../../schemas/trade.ts";
import { tradePricePoints } from "../../../operators/tradePricePoints.ts";
import { chunk, runChunks } from "./helpers.ts";

describe("tradePricePoints", () => {
  it("maps price, size and notional, keeps the event time, the watermark and the trade as src", () => {
    const t: Trade = { id: "t1", symbol: "MSFT", tsEvent: 42n, price: 370.5, size: 4 };
    const { out } = runChunks(tradePricePoints(), [chunk([t], 50n), chunk<Trade>([], 60n)]);
    expect(out).toEqual([chunk([{ symbol: "MSFT", tsEvent: 42n, price: 370.5, volume: 4, notional: 1482, src: t }], 50n), chunk([], 60n)]);
  });
});
