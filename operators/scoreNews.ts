// scoreNews: news items → one scored item per symbol each is about (chunk operator for pipelines).
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { News, ScoredNews } from "../schemas/news.ts";
import { builtinSentimentModel } from "./sentiment/builtinSentimentModel.ts";
import { createSentimentClassifier, type SentimentClassifierModel } from "./sentiment/sentimentClassifier.ts";
import { createTextScorer } from "./sentiment/scoreText.ts";
import { createEntityLinker } from "./sentiment/linkEntities.ts";
import { entityTexts } from "./sentiment/entityClauses.ts";
import defaultCompanyNames from "./sentiment/companyNames.ts";
import type { SentimentLabel } from "./sentiment/types.ts";

/**
 * model: the trained classifier (docs/sentiment-model.md); lexicon: the finance lexicon rules (docs/sentiment.md);
 * transformer: a user-supplied classifier (`classifier`, e.g. models/transformerClassifier.ts loading a FinBERT export).
 */
export type SentimentScorerKind = "model" | "lexicon" | "transformer";

/** A batch text classifier: one label and score (P(positive) − P(negative)) per text, synchronous, deterministic. */
export interface TextClassifier {
  classify(texts: readonly string[]): readonly { label: SentimentLabel; score: number }[];
}

export interface ScoreNewsOptions {
  /** Extra symbol → company names, merged over the defaults. */
  readonly companies?: Readonly<Record<string, readonly string[]>>;
  /** Which scorer labels the text. Default "model". */
  readonly scorer?: SentimentScorerKind;
  /** The classifier for scorer "model". Default: the shipped one (builtinSentimentModel). */
  readonly model?: SentimentClassifierModel;
  /** The classifier for scorer "transformer" (required then). */
  readonly classifier?: TextClassifier;
}

/** The text a news item is scored on: the headline, or headline and body. */
export function newsText(n: News): string {
  return n.body ? `${n.headline}. ${n.body}` : n.headline;
}

/**
 * Scores each headline and emits one ScoredNews per symbol it is about: the symbols the source tagged, or else the
 * entities linked from the text (sorted). Untagged items that mention no known symbol emit nothing. A headline
 * naming several of its symbols in different clauses scores each on its own clauses ("Apple beats while Microsoft
 * misses": AAPL positive, MSFT negative; operators/sentiment/entityClauses.ts); a symbol it does not name, or one
 * sharing every clause, gets the whole text's score. With the model
 * scorer a chunk's texts are classified as one batch; score = P(positive) - P(negative). Each item depends only on
 * itself (the model, lexicon and linker are configuration), so the operator keeps nothing between batches and
 * declares no state, and gives the same labels live and in replay.
 *
 * @example
 * news$.pipe(scoreNews({ companies: { ACME: ["Acme Corp"] } }))
 */
export function scoreNews(options: ScoreNewsOptions = {}): OperatorFunction<Chunk<News>, Chunk<ScoredNews>> {
  const companyNames = { ...defaultCompanyNames, ...Object.fromEntries(Object.entries(options.companies ?? {}).map(([k, v]) => [k, [...v]])) };
  const label = textLabeller(options);
  const linker = createEntityLinker({ companyNames });
  return chunkOperator<News, ScoredNews>(() => ({
    onItems(items, out) {
      // One batch of texts: each item's whole text, plus, for a headline naming several companies in different
      // clauses, each company's clauses (that company is scored on them).
      const texts: string[] = [];
      const about: { n: News; symbols: string[]; whole: number; own?: Map<string, number> }[] = [];
      for (const n of items) {
        const mentions = linker.mentions(n.headline);
        const symbols = n.symbols.length ? [...new Set(n.symbols)].sort() : [...new Set(mentions.map((m) => m.symbol))].sort();
        if (symbols.length === 0) continue;
        const whole = texts.push(newsText(n)) - 1;
        const split = symbols.length > 1 ? entityTexts(n.headline, mentions) : undefined;
        const own = split && new Map([...split].filter(([symbol]) => symbols.includes(symbol)).map(([symbol, t]) => [symbol, texts.push(t) - 1]));
        about.push({ n, symbols, whole, ...(own ? { own } : {}) });
      }
      if (about.length === 0) return;
      const scores = label(texts);
      for (const { n, symbols, whole, own } of about) {
        for (const symbol of symbols) {
          const s = scores[own?.get(symbol) ?? whole]!;
          out.push({ id: n.id, source: n.source, tsEvent: n.tsEvent, symbol, score: s.score, label: s.label, headline: n.headline });
        }
      }
    },
  }));
}

/** Score and label of each text in a batch, by the chosen scorer. */
export function textLabeller(
  options: Pick<ScoreNewsOptions, "scorer" | "model" | "classifier"> = {},
): (texts: readonly string[]) => readonly { score: number; label: SentimentLabel }[] {
  if (options.scorer === "transformer") {
    const c = options.classifier;
    if (!c) throw new Error('scoreNews: scorer "transformer" needs a classifier');
    return (texts) => c.classify(texts);
  }
  if ((options.scorer ?? "model") === "lexicon") {
    const scorer = createTextScorer();
    return (texts) => texts.map((t) => scorer.score(t));
  }
  const classifier = createSentimentClassifier(options.model ?? builtinSentimentModel());
  return (texts) => classifier.classify(texts);
}
