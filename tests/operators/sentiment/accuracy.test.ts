// The finance scorer against plain AFINN on the held-out test split of tests/fixtures/sentiment/labelled.jsonl.
import { describe, expect, it } from "vitest";
import Sentiment from "sentiment";
import { afinnLabel, evaluate, loadLabelled } from "../../../bench/sentiment.bench.ts";
import { scoreText } from "../../../operators/sentiment/scoreText.ts";

/** Ours must beat plain AFINN by at least this much accuracy and macro-F1 on the test split (measured: ~+0.28 / +0.30). */
const MARGIN = 0.15;

describe("finance sentiment accuracy (test split)", () => {
  const test = loadLabelled("test");
  const afinn = new Sentiment();
  const ours = evaluate(test, (t) => scoreText(t).label);
  const plain = evaluate(test, (t) => afinnLabel(afinn, t));

  it("uses a realistic, held-out split", () => {
    expect(test.length).toBeGreaterThanOrEqual(150);
    expect(loadLabelled().length).toBeGreaterThanOrEqual(300);
    const neutral = test.filter((r) => r.label === "neutral").length / test.length;
    expect(neutral).toBeGreaterThan(0.35);
    expect(neutral).toBeLessThan(0.45);
  });

  it(`beats plain AFINN by at least ${MARGIN} in accuracy and macro-F1`, () => {
    expect(ours.accuracy - plain.accuracy).toBeGreaterThanOrEqual(MARGIN);
    expect(ours.macroF1 - plain.macroF1).toBeGreaterThanOrEqual(MARGIN);
    expect(ours.accuracy).toBeGreaterThan(0.85);
  });

  it.each([
    ["Acme growth slows", "negative"],
    ["Acme did not beat estimates", "negative"],
    ["Acme profit rose 12%", "positive"],
    ["Acme to present at the Barclays technology conference", "neutral"],
  ] as const)("%s → %s (where AFINN is wrong or blind)", (text, label) => {
    expect(scoreText(text).label).toBe(label);
  });

  it("AFINN gets those wrong, which is why the rules exist", () => {
    expect(afinnLabel(afinn, "Acme growth slows")).toBe("positive");
    expect(afinnLabel(afinn, "Acme did not beat estimates")).not.toBe("negative");
    expect(afinnLabel(afinn, "Acme profit rose 12%")).toBe("positive");
  });
});
