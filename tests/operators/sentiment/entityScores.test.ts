// Entity-aware scores: a headline naming several companies says which one the sentiment is about, so the as-of
// join attaches good news to the company it is good for.
import { describe, expect, it } from "vitest";
import { entityTexts } from "../../../operators/sentiment/entityClauses.ts";
import { createEntityLinker } from "../../../operators/sentiment/linkEntities.ts";
import { findOperator } from "../../../pipeline/catalog.ts";
import type { OperatorContext } from "../../../pipeline/operatorDef.ts";
import type { News, ScoredNews } from "../../../schemas/news.ts";
import { chunksOf, runWhole } from "../../helpers/resume.ts";

const linker = createEntityLinker();
const split = (t: string) => entityTexts(t, linker.mentions(t));

describe("entity clauses", () => {
  it("gives each company the clauses that name it", () => {
    expect(split("Apple beats estimates while Microsoft misses badly")).toEqual(
      new Map([
        ["AAPL", "Apple beats estimates"],
        ["MSFT", "Microsoft misses badly"],
      ]),
    );
    expect(split("Tesla shares slump; Nvidia soars on record data-center sales")).toEqual(
      new Map([
        ["TSLA", "Tesla shares slump"],
        ["NVDA", "Nvidia soars on record data-center sales"],
      ]),
    );
  });
  it("one reading for all when the companies share their clauses or only one is named", () => {
    expect(split("Apple, Microsoft and Alphabet fall as yields jump")).toBeUndefined();
    expect(split("Apple and Microsoft rally")).toBeUndefined();
    expect(split("Apple beats estimates while rivals struggle")).toBeUndefined();
  });
});

describe("scoreSentiment with several companies in one headline", () => {
  const run = (scorer: "model" | "lexicon", news: News[]) => {
    const def = findOperator("scoreSentiment")!;
    const params = def.params.parse({ scorer });
    return runWhole<ScoredNews>(([news$]) => def.build(params, {} as OperatorContext)([news$!]) as never, 1, chunksOf(news, 8));
  };
  const news: News[] = [
    { id: "a", source: "t", tsEvent: 1n, headline: "Apple beats estimates while Microsoft misses badly", symbols: [] },
    { id: "b", source: "t", tsEvent: 2n, headline: "Tesla shares slump; Nvidia soars on record data-center sales", symbols: ["NVDA", "TSLA"] },
    { id: "c", source: "t", tsEvent: 3n, headline: "Apple and Microsoft rally", symbols: [] },
  ];
  for (const scorer of ["lexicon", "model"] as const) {
    it(`${scorer}: each symbol gets the sentiment of its own clauses; shared clauses share a score`, () => {
      const out = run(scorer, news);
      const by = Object.fromEntries(out.map((s) => [`${s.id}:${s.symbol}`, s]));
      expect(by["a:AAPL"]!.label).toBe("positive");
      expect(by["a:MSFT"]!.label).toBe("negative");
      expect(by["b:NVDA"]!.label).toBe("positive");
      expect(by["b:TSLA"]!.label).toBe("negative");
      expect(by["c:AAPL"]!.score).toBe(by["c:MSFT"]!.score);
      expect(out.map((s) => s.id)).toEqual(["a", "a", "b", "b", "c", "c"]);
    });
  }
});
