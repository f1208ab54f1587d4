// priceWindowStats: price points → one feature row per symbol and event-time window (tumbling, sliding or session)
// holding the window's price statistics, labelled with the window shape.
import { map, type OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { FeatureRow } from "../schemas/features.ts";
import { parseDurationNs } from "../schemas/time.ts";
import { sessionWindow } from "./sessionWindow.ts";
import { slidingWindow } from "./slidingWindow.ts";
import { tumblingWindow } from "./tumblingWindow.ts";
import { priceStats, type PricePoint, type PriceStats } from "./windowAggregates.ts";

/** A window shape with durations such as "5m": back-to-back, overlapping, or closed by a gap in a symbol's events. */
export type WindowShape =
  | { readonly type: "tumbling"; readonly size: string }
  | { readonly type: "sliding"; readonly size: string; readonly slide: string }
  | { readonly type: "session"; readonly gap: string };

export interface PriceWindowStatsOptions<P> {
  readonly window: WindowShape;
  /** How long after the watermark passes a window's end it still accepts points (default 0). */
  readonly allowedLatenessNs?: bigint;
  /** Prefix of every feature name, e.g. "w5m." (default none). */
  readonly prefix?: string;
  /** Receives each point that arrived after its window(s) were emitted. */
  readonly onLate: (point: P, reason: string) => void;
}

/** The row timeframe of a window shape: "5m", "15m/5m" (size/slide) or "session(30s)". */
function windowLabel(w: WindowShape): string {
  return w.type === "tumbling" ? w.size : w.type === "sliding" ? `${w.size}/${w.slide}` : `session(${w.gap})`;
}

/**
 * Reduces price points with `priceStats` (count, volume, vwap, open/high/low/close, ret, retMean, retStd) per
 * symbol and window, and emits each window as a feature row: id `<symbol>:<label>:<end>`, tsEvent = the window
 * end, timeframe = the shape: "5m", "15m/5m" (size/slide) or "session(30s)". Rows come in (end, symbol) order, independent of batching.
 *
 * @example
 * points$.pipe(priceWindowStats({ window: { type: "sliding", size: "15m", slide: "5m" }, prefix: "w15m.", onLate }))
 * // → { id: "AAPL:15m/5m:…", timeframe: "15m/5m", values: { "w15m.count": 15, "w15m.vwap": 190.2, … } }
 * @param options window shape, allowed lateness, feature-name prefix and the late-point handler
 */
export function priceWindowStats<P extends PricePoint>(options: PriceWindowStatsOptions<P>): OperatorFunction<Chunk<P>, Chunk<FeatureRow>> {
  const w = options.window;
  const common = { allowedLatenessNs: options.allowedLatenessNs ?? 0n, aggregate: priceStats(options.prefix ?? ""), onLate: options.onLate };
  const op: OperatorFunction<Chunk<P>, Chunk<PriceStats>> = w.type === "tumbling"
    ? tumblingWindow({ ...common, sizeNs: parseDurationNs(w.size) })
    : w.type === "sliding"
      ? slidingWindow({ ...common, sizeNs: parseDurationNs(w.size), slideNs: parseDurationNs(w.slide) })
      : sessionWindow({ ...common, gapNs: parseDurationNs(w.gap) });
  const label = windowLabel(w);
  return (source) =>
    source.pipe(
      op,
      map((c) => ({
        watermark: c.watermark,
        items: c.items.map((s): FeatureRow => ({ id: `${s.symbol}:${label}:${s.end}`, symbol: s.symbol, tsEvent: s.end, timeframe: label, values: s.values })),
      })),
    );
}
