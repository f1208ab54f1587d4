// barWindowStats: bars → one feature row per symbol and event-time window with the statistics of the closes.
import type { OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";
import { barPricePoints } from "./barPricePoints.ts";
import { priceWindowStats, type PriceWindowStatsOptions } from "./priceWindowStats.ts";
import type { SourcedPricePoint } from "./windowAggregates.ts";

/**
 * `barPricePoints` then `priceWindowStats`: each bar counts at its last instant (tsEvent − 1 ns) with its close,
 * volume and vwap × volume, so a window holds the bars that end inside it. A late bar reaches `onLate` itself.
 *
 * @example
 * bars1m$.pipe(barWindowStats({ window: { type: "tumbling", size: "5m" }, onLate: (bar, why) => dlq(bar, why) }))
 * @param options window shape, allowed lateness, feature-name prefix and the late-bar handler
 */
export function barWindowStats(options: PriceWindowStatsOptions<Bar>): OperatorFunction<Chunk<Bar>, Chunk<FeatureRow>> {
  const onLate = options.onLate;
  const stats = priceWindowStats<SourcedPricePoint<Bar>>({ ...options, onLate: (point, reason) => onLate(point.src, reason) });
  return (source) => source.pipe(barPricePoints(), stats);
}
