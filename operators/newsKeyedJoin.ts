// newsKeyedJoin: feature rows × scored news of the same symbol at most `ttl` apart in event time → one row per pair
// with the news score and age; state bounded by the TTL and a per-symbol cap.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { ScoredNews } from "../schemas/news.ts";
import { keyedJoin } from "./keyedJoin.ts";

export interface NewsKeyedJoinOptions {
  /** Rows and news further apart than this (ns) do not join, and are evicted. */
  readonly ttlNs: bigint;
  /** Most rows / news items kept per symbol (oldest dropped first). */
  readonly maxPerKey: number;
  /** Feature name of the news score; `<as>.ageSeconds` is row time − news time (negative: the news came after). */
  readonly as: string;
  /** Receives a row or news item older than the join's watermark; the reason names the input. */
  readonly onLate: (item: FeatureRow | ScoredNews, reason: string) => void;
}

/**
 * Joins each row with every news item of its symbol within ±ttl: one row per pair, id `<rowId>+<newsId>`, the
 * later of the two times, the row's values plus `<as>` = score and `<as>.ageSeconds`. Unlike `sentimentAsOf`
 * a row can join news that came after it, and joins every match, not only the latest. Its state is the
 * underlying interval join's declared state (the kept rows and news), so a checkpointed run resumes it.
 *
 * @example
 * newsKeyedJoin(rows$, scored$, { ttlNs: 30n * MINUTE, maxPerKey: 50, as: "news", onLate })
 * // → { id: "AAPL:1m:…+n17", values: { …, news: 0.64, "news.ageSeconds": 120 } }
 * @param rows$ feature rows (left input)
 * @param news$ scored news (right input)
 * @param options TTL, per-symbol cap, output feature name and the late-item handler
 */
export function newsKeyedJoin(
  rows$: Observable<Chunk<FeatureRow>>,
  news$: Observable<Chunk<ScoredNews>>,
  options: NewsKeyedJoinOptions,
): Observable<Chunk<FeatureRow>> {
  const as = options.as;
  const onLate = options.onLate;
  return keyedJoin(rows$, news$, {
    leftKey: (r) => r.symbol,
    rightKey: (n) => n.symbol,
    ttlNs: options.ttlNs,
    maxPerKey: options.maxPerKey,
    combine: (row, n): FeatureRow => ({
      id: `${row.id}+${n.id}`,
      symbol: row.symbol,
      tsEvent: row.tsEvent > n.tsEvent ? row.tsEvent : n.tsEvent,
      timeframe: row.timeframe,
      values: { ...row.values, [as]: n.score, [`${as}.ageSeconds`]: Number(row.tsEvent - n.tsEvent) / 1e9 },
    }),
    onLate: (item, side, reason) => onLate(item, `${reason} (${side} input)`),
  });
}
