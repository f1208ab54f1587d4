// tradePricePoints: trades → price points for the window operators (price, size, price × size at the trade's time).
import { map, type OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { Trade } from "../schemas/trade.ts";
import type { SourcedPricePoint } from "./windowAggregates.ts";

/**
 * Maps each trade to one price point: price = price, volume = size, notional = price × size, at the trade's
 * event time; the watermark passes through unchanged.
 *
 * @example
 * trades$.pipe(tradePricePoints(), tumblingWindow({ sizeNs: MINUTE, aggregate: priceStats(), onLate }))
 */
export function tradePricePoints(): OperatorFunction<Chunk<Trade>, Chunk<SourcedPricePoint<Trade>>> {
  return map((c) => ({
    watermark: c.watermark,
    items: c.items.map(
      (t): SourcedPricePoint<Trade> => ({ symbol: t.symbol, tsEvent: t.tsEvent, price: t.price, volume: t.size, notional: t.price * t.size, src: t }),
    ),
  }));
}
