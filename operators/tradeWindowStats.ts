// tradeWindowStats: trades → one feature row per symbol and event-time window with the statistics of the prices.
import type { OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { Trade } from "../schemas/trade.ts";
import { tradePricePoints } from "./tradePricePoints.ts";
import { priceWindowStats, type PriceWindowStatsOptions } from "./priceWindowStats.ts";
import type { SourcedPricePoint } from "./windowAggregates.ts";

/**
 * `tradePricePoints` then `priceWindowStats`: each trade counts at its event time with its price, size and
 * price × size. A late trade reaches `onLate` itself.
 *
 * @example
 * trades$.pipe(tradeWindowStats({ window: { type: "session", gap: "30s" }, onLate: (trade, why) => dlq(trade, why) }))
 * @param options window shape, allowed lateness, feature-name prefix and the late-trade handler
 */
export function tradeWindowStats(options: PriceWindowStatsOptions<Trade>): OperatorFunction<Chunk<Trade>, Chunk<FeatureRow>> {
  const onLate = options.onLate;
  const stats = priceWindowStats<SourcedPricePoint<Trade>>({ ...options, onLate: (point, reason) => onLate(point.src, reason) });
  return (source) => source.pipe(tradePricePoints(), stats);
}
