import { describe, expect, test } from "vitest";
import { accuracy, auc, classificationMetrics, confusionCounts, logLoss } from "../../models/metrics.ts";

describe("metrics on hand-computed cases", () => {
  const y = [0, 0, 1, 1];
  const p = [0.1, 0.4, 0.35, 0.8];

  test("AUC: 3 of 4 positive/negative pairs ordered correctly", () => {
    expect(auc(y, p)).toBeCloseTo(0.75, 15);
  });

  test("AUC counts a tied positive/negative pair as 1/2", () => {
    // pairs: (pos .5, neg .5) tie → 0.5; (pos .5, neg .2) → 1; (pos .9, both negs) → 2 ⇒ 3.5 / 4
    expect(auc([1, 0, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBeCloseTo(0.875, 15);
    expect(auc([1, 0], [0.3, 0.3])).toBe(0.5);
    expect(auc([1, 1], [0.3, 0.4])).toBeNaN();
  });

  test("log loss = mean of -ln(p) for positives and -ln(1-p) for negatives", () => {
    const expected = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4;
    expect(logLoss(y, p)).toBeCloseTo(expected, 15);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 10); // clipped, finite
  });

  test("confusion counts and accuracy at 0.5", () => {
    expect(confusionCounts(y, p)).toEqual({ tp: 1, fp: 0, tn: 2, fn: 1 });
    expect(accuracy(y, p)).toBe(0.75);
    expect(classificationMetrics(y, p)).toMatchObject({ rows: 4, accuracy: 0.75, auc: 0.75, positiveRate: 0.5 });
  });
});
