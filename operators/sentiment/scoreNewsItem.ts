// One news item → one ScoredNews per symbol it is about. Pure; shared by the batch and chunk operators.
import defaultCompanyNames, { type CompanyNames } from "./companyNames.ts";
import { createEntityLinker } from "./linkEntities.ts";
import { createTextScorer, DEFAULT_NEUTRAL_BAND, DEFAULT_SCALE, labelOf } from "./scoreText.ts";
import type { FinanceLexicon } from "./financeLexicon.ts";
import type { News, ScoredNews } from "./types.ts";

export interface NewsScorerOptions {
  /** Symbol → company names for linking and for masking names in the text. Default: `defaultCompanyNames`. */
  companyNames?: CompanyNames;
  /** Symbols recognised as bare upper-case tickers. Default: the keys of `companyNames`. */
  knownSymbols?: Iterable<string>;
  /**
   * Weight of the body against the headline (1). The body counts as the mean raw score of its sentences, so a
   * long body does not drown the headline. Default 0.5; 0 ignores bodies.
   */
  bodyWeight?: number;
  /** See ScoreTextOptions. */
  neutralBand?: number;
  scale?: number;
  lexicon?: FinanceLexicon;
}

/** Scores news items; compiled once, no state between items. */
export interface NewsScorer {
  /**
   * Items the source tagged with symbols are scored for those symbols; untagged items for the symbols
   * linked from the headline (or, if none, from the body). Returns [] when no symbol is found.
   */
  score(news: News): ScoredNews[];
}

const MAX_BODY_SENTENCES = 50;

/**
 * @example
 * const scorer = createNewsScorer({ bodyWeight: 0.3 });
 * scorer.score({ id: "n1", source: "wire", tsEvent: 1n, headline: "Apple beats estimates", symbols: [] });
 * // [{ id: "n1", source: "wire", tsEvent: 1n, symbol: "AAPL", score: 0.64, label: "positive", headline: "Apple beats estimates" }]
 */
export function createNewsScorer(options: NewsScorerOptions = {}): NewsScorer {
  const bodyWeight = options.bodyWeight ?? 0.5;
  if (!(bodyWeight >= 0 && Number.isFinite(bodyWeight))) {
    throw new RangeError(`scoreSentiment: bodyWeight must be a finite number >= 0, got ${bodyWeight}`);
  }
  const band = options.neutralBand ?? DEFAULT_NEUTRAL_BAND;
  const scale = options.scale ?? DEFAULT_SCALE;
  const names = Object.values(options.companyNames ?? defaultCompanyNames).flat();
  const text = createTextScorer({ neutralBand: band, scale, lexicon: options.lexicon, neutralTerms: names });
  const linker = createEntityLinker({ companyNames: options.companyNames, knownSymbols: options.knownSymbols });
  return {
    score(news) {
      let symbols = news.symbols.length > 0 ? [...new Set(news.symbols)].sort() : linker.link(news.headline);
      if (symbols.length === 0 && news.body) symbols = linker.link(news.body);
      if (symbols.length === 0) return [];
      let raw = text.score(news.headline).raw;
      if (news.body && bodyWeight > 0) {
        const sentences = news.body.split(/(?<=[.!?])\s+/).filter((s) => s.trim()).slice(0, MAX_BODY_SENTENCES);
        if (sentences.length > 0) {
          raw += (bodyWeight * sentences.reduce((sum, s) => sum + text.score(s).raw, 0)) / sentences.length;
        }
      }
      const score = Math.tanh(raw / scale);
      const label = labelOf(score, band);
      return symbols.map((symbol) => ({ id: news.id, source: news.source, tsEvent: news.tsEvent, symbol, score, label, headline: news.headline }));
    },
  };
}
