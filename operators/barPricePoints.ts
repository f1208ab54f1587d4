// barPricePoints: bars → price points for the window operators, each bar placed at the last instant it covers.
import { map, type OperatorFunction } from "rxjs";
import { WATERMARK_END, WATERMARK_START, type Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import type { SourcedPricePoint } from "./windowAggregates.ts";

/**
 * Maps each bar to one price point: price = close, volume = volume, notional = vwap × volume, at tsEvent − 1 ns.
 * A bar covers [tsOpen, tsEvent), so at its last instant a 5m window [09:30, 09:35) holds the five 1m bars that
 * end by 09:35. The watermark moves back by the same 1 ns (WATERMARK_START and WATERMARK_END stay as they are).
 *
 * @example
 * bars$.pipe(barPricePoints(), tumblingWindow({ sizeNs: 5n * MINUTE, aggregate: priceStats(), onLate }))
 */
export function barPricePoints(): OperatorFunction<Chunk<Bar>, Chunk<SourcedPricePoint<Bar>>> {
  return map((c) => ({
    watermark: c.watermark === WATERMARK_END || c.watermark === WATERMARK_START ? c.watermark : c.watermark - 1n,
    items: c.items.map(
      (b): SourcedPricePoint<Bar> => ({ symbol: b.symbol, tsEvent: b.tsEvent - 1n, price: b.close, volume: b.volume, notional: b.vwap * b.volume, src: b }),
    ),
  }));
}
