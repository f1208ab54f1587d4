// Shapes of a text score (scoreText). The news messages themselves are in schemas/news.ts.

export type SentimentLabel = "positive" | "negative" | "neutral";

/** One rule or word that contributed to a score. */
export interface SentimentHit {
  /** The matched words as they appear (lower-cased), e.g. "revenue fell 4%" or "downgrades". */
  readonly term: string;
  /** Contribution to `raw`, after negation, intensifiers and percentage scaling. */
  readonly weight: number;
}

export interface TextScore {
  /** tanh(raw / scale): in [-1, 1]. */
  readonly score: number;
  readonly label: SentimentLabel;
  /** Sum of hit weights, on AFINN's scale (one strong word is about 3). */
  readonly raw: number;
  readonly hits: readonly SentimentHit[];
}
