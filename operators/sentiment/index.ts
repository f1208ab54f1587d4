// The sentiment surface: scoring text, linking entities, scoring news items, decayed per-symbol state.
export { scoreText, createTextScorer, labelOf, DEFAULT_NEUTRAL_BAND, DEFAULT_SCALE } from "./scoreText.ts";
export type { ScoreTextOptions, TextScorer } from "./scoreText.ts";
export { financeLexicon } from "./financeLexicon.ts";
export type { FinanceLexicon, PhraseRule, DirectionWord, Quantity } from "./financeLexicon.ts";
export { linkEntities, createEntityLinker, AMBIGUOUS_TICKERS } from "./linkEntities.ts";
export type { LinkEntitiesOptions, EntityLinker } from "./linkEntities.ts";
export { default as defaultCompanyNames } from "./companyNames.ts";
export type { CompanyNames } from "./companyNames.ts";
export { createNewsScorer } from "./scoreNewsItem.ts";
export type { NewsScorer, NewsScorerOptions } from "./scoreNewsItem.ts";
export { decayedSentiment } from "./decayedSentiment.ts";
export type { DecayedSentiment, DecayedSentimentOptions, DecayedSentimentState, SentimentValue } from "./decayedSentiment.ts";
export type { News, ScoredNews, SentimentLabel, SentimentHit, TextScore } from "./types.ts";
