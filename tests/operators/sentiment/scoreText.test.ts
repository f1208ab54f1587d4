import { describe, expect, it } from "vitest";
import Sentiment from "sentiment";
import { createTextScorer, percentScale, scoreText } from "../../../operators/sentiment/scoreText.ts";
import { financeLexicon } from "../../../operators/sentiment/financeLexicon.ts";

const label = (t: string) => scoreText(t).label;

describe("scoreText", () => {
  it.each([
    ["Acme growth slows", "negative"],
    ["Acme did not beat estimates", "negative"],
    ["Acme profit rose 12%", "positive"],
    ["Acme to present at the Goldman Sachs conference", "neutral"],
    ["Acme revenue fell 3%", "negative"],
    ["Acme beats earnings estimates", "positive"],
    ["Acme misses revenue estimates", "negative"],
    ["Acme tops estimates", "positive"],
    ["Analyst upgrades Acme to buy", "positive"],
    ["Acme downgraded to sell", "negative"],
    ["Acme raises price target to $50", "positive"],
    ["Broker cuts Acme price target", "negative"],
    ["Acme raises full-year guidance", "positive"],
    ["Acme cuts guidance", "negative"],
    ["Acme withdraws its guidance", "negative"],
    ["Acme guidance withdrawn", "negative"],
    ["Acme to lay off 2,000 workers", "negative"],
    ["Acme announces job cuts", "negative"],
    ["Acme faces SEC investigation", "negative"],
    ["Acme recalls 10,000 vehicles", "negative"],
    ["Acme files for bankruptcy", "negative"],
    ["Acme hit with lawsuit over patents", "negative"],
    ["Acme raises dividend 10%", "positive"],
    ["Acme slashes dividend", "negative"],
    ["Acme announces $5 billion buyback", "positive"],
    ["Acme sales slump", "negative"],
    ["Margin pressure at Acme", "negative"],
    ["Acme posts record revenue", "positive"],
    ["Acme shares soar", "positive"],
    ["Acme shares plunge", "negative"],
    ["Acme stock tumbles", "negative"],
    ["Acme rallies after results", "positive"],
    ["Acme declares quarterly dividend of $0.24", "neutral"],
    ["No growth at Acme this quarter", "negative"],
    ["Acme failed to win approval", "negative"],
    ["Acme narrows losses", "positive"],
    ["Acme loss widens", "negative"],
    ["Unemployment rate falls to 3.5%", "positive"],
    ["Inflation cools more than expected", "positive"],
    ["Acme reports better-than-expected results", "positive"],
    ["Acme results worse than expected", "negative"],
    ["Acme reports results in line with expectations", "neutral"],
    ["Acme fined $10 million", "negative"],
    ["Acme launches new bond fund", "neutral"],
    ["Acme gross margin was 45%", "neutral"],
  ] as const)("%s → %s", (text, expected) => {
    expect(label(text)).toBe(expected);
  });

  it("neutralises AFINN words that are plain vocabulary in finance", () => {
    const afinn = new Sentiment();
    for (const t of ["Acme to share update", "net interest income", "gross margin", "bond fund", "Acme liability"]) {
      expect(scoreText(t).raw, t).toBe(0);
    }
    expect(afinn.analyze("net interest income").score).not.toBe(0); // what we override
  });

  it("scales a change by its percentage, monotonically and capped", () => {
    const small = scoreText("Acme profit rose 2%").score;
    const big = scoreText("Acme profit rose 40%").score;
    expect(big).toBeGreaterThan(small);
    expect(scoreText("Acme profit rose").score).toBeLessThan(small);
    expect(percentScale(10_000)).toBe(3);
    expect(percentScale(0)).toBe(1);
  });

  it("intensifiers and diminishers scale the nearest hit", () => {
    const plain = scoreText("Acme revenue fell").raw;
    expect(scoreText("Acme revenue fell sharply").raw).toBeCloseTo(plain * 1.5);
    expect(scoreText("Acme revenue fell slightly").raw).toBeCloseTo(plain * 0.5);
  });

  it("negation does not cross a clause boundary", () => {
    expect(scoreText("Acme did not cut jobs").label).toBe("positive");
    expect(scoreText("Acme did not comment, but revenue fell").label).toBe("negative");
  });

  it("returns score in [-1, 1], the raw sum and the hits that made it", () => {
    const r = scoreText("Acme shares plunge after revenue misses and guidance is cut sharply, layoffs announced");
    expect(r.score).toBeGreaterThanOrEqual(-1);
    expect(r.score).toBeLessThan(-0.9);
    expect(r.raw).toBeCloseTo(r.hits.reduce((s, h) => s + h.weight, 0));
    expect(r.hits.map((h) => h.term)).toContain("layoffs");
    expect(scoreText("")).toEqual({ score: 0, label: "neutral", raw: 0, hits: [] });
  });

  it("neutralTerms mask company names that read as sentiment words", () => {
    expect(scoreText("Ulta Beauty opens a store").label).toBe("neutral");
    const scorer = createTextScorer({ neutralTerms: ["Super Happy Corp"] });
    expect(scoreText("Super Happy Corp opens a store").label).toBe("positive");
    expect(scorer.score("Super Happy Corp opens a store").label).toBe("neutral");
  });

  it("a custom lexicon extends the default", () => {
    const lexicon = { ...financeLexicon, words: { ...financeLexicon.words, moonshot: 4 } };
    expect(scoreText("Acme moonshot", { lexicon }).label).toBe("positive");
    expect(scoreText("Acme moonshot").label).toBe("neutral");
  });

  it("rejects a neutral band outside [0, 1) with a message naming the option", () => {
    expect(() => createTextScorer({ neutralBand: 1.5 })).toThrow(/neutralBand must be in \[0, 1\), got 1.5/);
  });

  it("is not affected by sentiment's `extras` writing into its shared AFINN table", () => {
    const afinn = new Sentiment();
    const original = afinn.analyze("crush").score;
    const before = scoreText("Acme crush expectations").raw;
    afinn.analyze("x", { extras: { crush: 5 } });
    try {
      expect(afinn.analyze("crush").score).toBe(5); // the leak we guard against
      expect(scoreText("Acme crush expectations").raw).toBe(before);
    } finally {
      afinn.analyze("x", { extras: { crush: original } });
    }
  });
});
