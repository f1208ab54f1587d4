// A news headline (with optional body): what news feeds publish on news.<SOURCE>.
import { defineMessage, type MessageOf } from "./message.ts";
import { number, oneOf, optional, symbol, text, textList, timestampNs } from "./field.ts";

export const NewsMessage = defineMessage({
  type: "news",
  version: 1,
  table: "news",
  description: "A news item. Subject news.<SOURCE>. `symbols` may be empty: the pipeline links entities from the text.",
  fields: {
    id: text("unique news id; also the JetStream Nats-Msg-Id", { min: 1, max: 200 }),
    source: text("news source, e.g. reuters", { min: 1, max: 64, pattern: /^[a-z0-9_-]+$/, patternHint: "must be a lower-case source name" }),
    tsEvent: timestampNs("publication time"),
    headline: text("headline", { min: 1, max: 1000 }),
    body: optional(text("body text", { max: 100_000 })),
    symbols: textList("symbols the item is tagged with by its source", symbol()),
  },
});
export type News = MessageOf<typeof NewsMessage.fields>;

/** A news item scored for one symbol it mentions. */
export const ScoredNewsMessage = defineMessage({
  type: "scored_news",
  version: 1,
  table: "scored_news",
  description: "Sentiment of one news item for one symbol it is about.",
  fields: {
    id: text("news id", { min: 1 }),
    source: text("news source"),
    tsEvent: timestampNs("publication time"),
    symbol: symbol(),
    score: number("sentiment score in [-1, 1]", { min: -1, max: 1 }),
    label: oneOf(["positive", "negative", "neutral"], "sentiment class"),
    headline: text("headline"),
  },
});
export type ScoredNews = MessageOf<typeof ScoredNewsMessage.fields>;
