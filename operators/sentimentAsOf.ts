// sentimentAsOf: feature rows × scored news → the rows with their symbol's latest sentiment as of the row time,
// decayed by the news' age (an as-of join by event time).
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { ScoredNews } from "../schemas/news.ts";
import { asofJoin } from "./asofJoin.ts";

export interface SentimentAsOfOptions {
  /** Feature name the (decayed) score is written under; `<as>.ageSeconds` holds the news age in seconds. */
  readonly as: string;
  /** News older than this (ns) is ignored: the row gets `<as>` = 0 and no `<as>.ageSeconds`. */
  readonly maxStalenessNs: bigint;
  /** The score halves every `halfLifeNs` of age. Undefined or 0: no decay. */
  readonly halfLifeNs?: bigint;
  /** Receives a row or news item that arrived behind the join's watermark, with the reason. */
  readonly onLate?: (item: FeatureRow | ScoredNews, reason: string) => void;
}

/**
 * Joins each feature row with the latest scored news of its symbol at or before the row's event time (news at
 * the same time counts), within `maxStalenessNs`, and writes score × 0.5^(age / halfLife) under `as`. A row with
 * no fresh news gets 0. Output order and values do not depend on how either input was batched. Its state (each
 * symbol's latest news) is the as-of join's declared state, so a checkpointed run resumes it.
 *
 * @example
 * sentimentAsOf(rows$, scored$, { as: "sentiment", maxStalenessNs: 4n * HOUR, halfLifeNs: HOUR })
 * // a row 1 h after news scored 0.8 → values.sentiment 0.4, values["sentiment.ageSeconds"] 3600
 * @param rows$ feature rows (left input)
 * @param news$ scored news (right input)
 * @param options output feature name, staleness bound, half-life and the late-item handler
 */
export function sentimentAsOf(
  rows$: Observable<Chunk<FeatureRow>>,
  news$: Observable<Chunk<ScoredNews>>,
  options: SentimentAsOfOptions,
): Observable<Chunk<FeatureRow>> {
  const as = options.as;
  const ageKey = `${as}.ageSeconds`;
  const halfLifeNs = options.halfLifeNs ? Number(options.halfLifeNs) : undefined;
  const onLate = options.onLate;
  return asofJoin(rows$, news$, {
    leftKey: (r) => r.symbol,
    rightKey: (n) => n.symbol,
    maxStalenessNs: options.maxStalenessNs,
    onLate: onLate && ((item, _side, reason) => onLate(item, reason)),
    combine: (row, n, age): FeatureRow => {
      if (n === undefined || age === undefined) return { ...row, values: { ...row.values, [as]: 0 } };
      const decay = halfLifeNs ? 0.5 ** (Number(age) / halfLifeNs) : 1;
      return { ...row, values: { ...row.values, [as]: n.score * decay, [ageKey]: Number(age) / 1e9 } };
    },
  });
}
