// scoreNews keeps nothing between batches (the compiled lexicon and linker are configuration): it declares no
// state, and a run restarted after any chunk gives the items of the uninterrupted run.
import { describe, expect, it } from "vitest";
import { scoreNews } from "../../../operators/scoreNews.ts";
import type { News, ScoredNews } from "../../../schemas/news.ts";
import { chunksOf, cutsOf, runResumed, runWhole, type Build } from "../../helpers/resume.ts";

const headlines = [
  ["Apple profit rose 12%, beating estimates", []],
  ["Microsoft shares slump after weak cloud guidance", []],
  ["$NVDA and NASDAQ:AMD rally on AI demand", []],
  ["Tesla recalls 2 million cars", ["TSLA"]],
  ["Acme Corp wins record contract", []],
  ["Markets flat ahead of the Fed", []],
  ["Google fined; Meta Platforms did not beat revenue estimates", []],
  ["Amazon cuts prices", ["AMZN", "AMZN"]],
] as const;

const news: News[] = Array.from({ length: 40 }, (_, i) => {
  const [headline, symbols] = headlines[i % headlines.length]!;
  return { id: `n${i}`, source: "test", tsEvent: BigInt(i + 1) * 1_000_000_000n, headline, symbols: [...symbols] };
});

const build: Build<ScoredNews> = ([news$]) => news$!.pipe(scoreNews({ companies: { ACME: ["Acme Corp"] } }));

describe("scoreNews", () => {
  it("declares no state: a run restarted after any chunk gives the uninterrupted run's items", () => {
    const feeds = chunksOf(news, 3);
    const whole = runWhole(build, 1, feeds);
    expect(whole.length).toBeGreaterThan(news.length);
    expect(new Set(whole.map((s) => s.symbol))).toEqual(new Set(["AAPL", "MSFT", "NVDA", "AMD", "TSLA", "ACME", "GOOGL", "META", "AMZN"]));
    for (const cut of cutsOf(feeds.length)) {
      const r = runResumed(build, 1, feeds, cut);
      expect(r.cells).toEqual([]);
      expect(r.outputs, `cut after feed ${cut}`).toEqual(whole);
    }
  });
});
