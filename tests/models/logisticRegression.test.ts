import { describe, expect, test } from "vitest";
import { predictLogisticRegression, rawCoefficients, trainLogisticRegression } from "../../models/logisticRegression.ts";
import { logisticData } from "./synthetic.ts";

describe("logistic regression", () => {
  test("recovers known coefficients on seeded synthetic data", () => {
    const weights = [1.5, -2, 0.5, 0];
    const d = logisticData(40_000, weights, -0.4, 11, [1, 0.5, 2, 1]);
    const m = trainLogisticRegression(d.X, d.y, d.n, d.featureNames, { l2: 0 });
    expect(m.converged).toBe(true);
    const raw = rawCoefficients(m);
    weights.forEach((w, j) => expect(Math.abs(raw.weights[j]! - w)).toBeLessThan(0.08));
    expect(Math.abs(raw.intercept - -0.4)).toBeLessThan(0.1);
  });

  test("is deterministic: same data, bit-identical model", () => {
    const d = logisticData(3000, [1, -1], 0.2, 5);
    const a = trainLogisticRegression(d.X, d.y, d.n, d.featureNames);
    const b = trainLogisticRegression(d.X, d.y, d.n, d.featureNames);
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(b.intercept).toBe(a.intercept);
  });

  test("L2 shrinks weights; predictions are probabilities", () => {
    const d = logisticData(2000, [2, -2], 0, 9);
    const loose = trainLogisticRegression(d.X, d.y, d.n, d.featureNames, { l2: 0 });
    const tight = trainLogisticRegression(d.X, d.y, d.n, d.featureNames, { l2: 1 });
    expect(Math.abs(tight.weights[0]!)).toBeLessThan(Math.abs(loose.weights[0]!));
    for (const p of predictLogisticRegression(tight, d.X, d.n)) expect(p > 0 && p < 1).toBe(true);
  });

  test("rejects labels other than 0/1", () => {
    const d = logisticData(10, [1], 0, 1);
    d.y[3] = Number.NaN;
    expect(() => trainLogisticRegression(d.X, d.y, d.n, d.featureNames)).toThrow(/row 3 has NaN/);
  });
});
