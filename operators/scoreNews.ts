// scoreNews: news items → one scored item per symbol each is about (chunk operator for pipelines).
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { News, ScoredNews } from "../schemas/news.ts";
import { createTextScorer } from "./sentiment/scoreText.ts";
import { createEntityLinker } from "./sentiment/linkEntities.ts";
import defaultCompanyNames from "./sentiment/companyNames.ts";

export interface ScoreNewsOptions {
  /** Extra symbol → company names, merged over the defaults. */
  readonly companies?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Scores each headline with the finance lexicon and emits one ScoredNews per symbol it is about:
 * the symbols the source tagged, or else the entities linked from the text (sorted). Untagged items
 * that mention no known symbol emit nothing. Each item depends only on itself: the compiled lexicon and linker are
 * configuration, so the operator keeps nothing between batches and declares no state.
 *
 * @example
 * news$.pipe(scoreNews({ companies: { ACME: ["Acme Corp"] } }))
 */
export function scoreNews(options: ScoreNewsOptions = {}): OperatorFunction<Chunk<News>, Chunk<ScoredNews>> {
  const companyNames = { ...defaultCompanyNames, ...Object.fromEntries(Object.entries(options.companies ?? {}).map(([k, v]) => [k, [...v]])) };
  const scorer = createTextScorer();
  const linker = createEntityLinker({ companyNames });
  return chunkOperator<News, ScoredNews>(() => ({
    onItems(items, out) {
      for (const n of items) {
        const symbols = n.symbols.length ? [...new Set(n.symbols)].sort() : linker.link(n.headline);
        if (symbols.length === 0) continue;
        const s = scorer.score(n.body ? `${n.headline}. ${n.body}` : n.headline);
        for (const symbol of symbols) {
          out.push({ id: n.id, source: n.source, tsEvent: n.tsEvent, symbol, score: s.score, label: s.label, headline: n.headline });
        }
      }
    },
  }));
}
