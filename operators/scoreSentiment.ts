// scoreSentiment: batches of news → batches of ScoredNews, one per symbol each item is about.
import { Observable, type OperatorFunction } from "rxjs";
import { createNewsScorer, type NewsScorerOptions } from "./sentiment/scoreNewsItem.ts";
import type { News, ScoredNews } from "./sentiment/types.ts";

export interface ScoreSentimentOptions extends NewsScorerOptions {
  /**
   * Called for each item that has no symbols and links none; such an item produces no output. Use it to
   * count or dead-letter them. A throw here errors the stream. Default: none.
   */
  onUnlinked?: (news: News) => void;
}

/**
 * Scores each item with the finance lexicon and emits, per input batch, one output batch: for each item in
 * input order, one ScoredNews per symbol, sorted by symbol. Empty batches pass through as empty batches.
 *
 * @example
 * newsBatches$.pipe(scoreSentiment({ companyNames: { ...defaultCompanyNames, ACME: ["Acme"] }, bodyWeight: 0.5 }))
 * @param options company names, known symbols, body weight, neutral band, onUnlinked
 */
export function scoreSentiment(options: ScoreSentimentOptions = {}): OperatorFunction<readonly News[], readonly ScoredNews[]> {
  // The scorer is immutable compiled data; per-subscription state would live inside the Observable below.
  const scorer = createNewsScorer(options);
  const onUnlinked = options.onUnlinked;
  return (source) =>
    new Observable<readonly ScoredNews[]>((subscriber) =>
      source.subscribe({
        next(batch) {
          const out: ScoredNews[] = [];
          try {
            for (const news of batch) {
              const scored = scorer.score(news);
              if (scored.length === 0) onUnlinked?.(news);
              for (const s of scored) out.push(s);
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(out);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}
