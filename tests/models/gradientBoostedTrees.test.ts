import { describe, expect, test } from "vitest";
import { predictGradientBoostedTrees, trainGradientBoostedTrees } from "../../models/gradientBoostedTrees.ts";
import { trainLogisticRegression, predictLogisticRegression } from "../../models/logisticRegression.ts";
import { auc, logLoss } from "../../models/metrics.ts";
import { xorData } from "./synthetic.ts";

describe("gradient-boosted trees", () => {
  test("fits XOR-like data far better than logistic regression (held-out)", () => {
    const train = xorData(4000, 21, 2);
    const test_ = xorData(2000, 22, 2);
    const gbt = trainGradientBoostedTrees(train.X, train.y, train.n, train.featureNames, { nTrees: 60, maxDepth: 3 });
    const lr = trainLogisticRegression(train.X, train.y, train.n, train.featureNames);
    const pg = predictGradientBoostedTrees(gbt, test_.X, test_.n);
    const pl = predictLogisticRegression(lr, test_.X, test_.n);
    expect(auc(test_.y, pg)).toBeGreaterThan(0.9);
    expect(auc(test_.y, pl)).toBeLessThan(0.6);
    expect(logLoss(test_.y, pg)).toBeLessThan(logLoss(test_.y, pl) - 0.2);
  });

  test("is deterministic, including with seeded subsampling", () => {
    const d = xorData(1500, 3, 1);
    const params = { nTrees: 15, subsample: 0.7, seed: 9 };
    const a = trainGradientBoostedTrees(d.X, d.y, d.n, d.featureNames, params);
    const b = trainGradientBoostedTrees(d.X, d.y, d.n, d.featureNames, params);
    expect(Array.from(predictGradientBoostedTrees(b, d.X, d.n))).toEqual(Array.from(predictGradientBoostedTrees(a, d.X, d.n)));
  });

  test("respects maxDepth and minSamplesLeaf", () => {
    const d = xorData(1000, 4);
    const m = trainGradientBoostedTrees(d.X, d.y, d.n, d.featureNames, { nTrees: 5, maxDepth: 2, minSamplesLeaf: 300 });
    for (const tree of m.trees) {
      const depth = (node: number): number => (tree.feature[node]! < 0 ? 0 : 1 + Math.max(depth(tree.left[node]!), depth(tree.right[node]!)));
      expect(depth(0)).toBeLessThanOrEqual(2);
      expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(3); // 1000 rows / 300 per leaf
    }
  });

  test("rejects bad parameters and non-finite features with a reason", () => {
    const d = xorData(100, 5);
    expect(() => trainGradientBoostedTrees(d.X, d.y, d.n, d.featureNames, { maxBins: 1000 })).toThrow(/maxBins must be an integer in 2..256/);
    d.X[7] = Number.POSITIVE_INFINITY;
    expect(() => trainGradientBoostedTrees(d.X, d.y, d.n, d.featureNames)).toThrow(/feature "x1" row 3 is Infinity/);
  });
});
