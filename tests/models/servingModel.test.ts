import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import { exportOnnx } from "../../models/onnxExport.ts";
import { decodeOnnxModel } from "../../models/onnxImport.ts";
import { predictProba } from "../../models/model.ts";
import { ModelLoadError, NonFiniteOutputError } from "../../models/onnxScorer.ts";
import { FeatureMismatchError } from "../../models/featureOrder.ts";
import { loadServingModel } from "../../models/servingModel.ts";
import type { LogisticRegressionModel } from "../../models/logisticRegression.ts";
import { smallGbt, smallLogreg, withTempDir } from "./helpers.ts";

const meta = { modelId: "m-v1", name: "m", version: 1, pipeline: "p" };

describe("decodeOnnxModel", () => {
  test.each([
    ["logreg", smallLogreg],
    ["gbt", smallGbt],
  ] as const)("%s: the decoded model predicts bit-for-bit like the trained one", async (_kind, make) => {
    const { model, data } = make();
    await withTempDir(async (dir) => {
      const bytes = await exportOnnx(model, join(dir, "m.onnx"), meta);
      const decoded = decodeOnnxModel(bytes, "m.onnx").model;
      expect(decoded.kind).toBe(model.kind);
      expect(decoded.featureNames).toEqual(model.featureNames);
      expect(Array.from(predictProba(decoded, data.X, data.n))).toEqual(Array.from(predictProba(model, data.X, data.n)));
    });
  });
});

describe("loadServingModel", () => {
  test("loads, probes with onnxruntime and the TS evaluator, and scores synchronously", async () => {
    const { model, data } = smallGbt();
    await withTempDir(async (dir) => {
      const file = join(dir, "m.onnx");
      await exportOnnx(model, file, meta);
      const { model: serving, probeRows, maxAbsDiff } = await loadServingModel(file, { featureNames: data.featureNames, expectedModelId: "m-v1" });
      expect(serving).toMatchObject({ id: "m-v1", version: 1, kind: "gbt" });
      expect(probeRows).toBeGreaterThanOrEqual(32);
      expect(maxAbsDiff).toBeLessThanOrEqual(1e-12);
      expect(Array.from(serving.score(data.X.subarray(0, 50 * data.featureNames.length), 50))).toEqual(Array.from(predictProba(model, data.X, 50)));
    });
  });

  test("rejects a corrupt file, a wrong feature list, a changed hash and NaN weights", async () => {
    const { model, data } = smallLogreg();
    await withTempDir(async (dir) => {
      const good = join(dir, "good.onnx");
      const bytes = await exportOnnx(model, good, meta);
      const corrupt = join(dir, "corrupt.onnx");
      await writeFile(corrupt, bytes.subarray(0, Math.floor(bytes.length / 3)));
      await expect(loadServingModel(corrupt, { featureNames: data.featureNames })).rejects.toBeInstanceOf(ModelLoadError);
      await expect(loadServingModel(good, { featureNames: ["f0", "f2", "f1"] })).rejects.toBeInstanceOf(FeatureMismatchError);
      await expect(loadServingModel(good, { featureNames: data.featureNames, expectedSha256: "0".repeat(64) })).rejects.toThrow(/sha256/);
      const nan: LogisticRegressionModel = { ...model, weights: Float64Array.from(model.weights, (w, j) => (j === 1 ? Number.NaN : w)) };
      const nanFile = join(dir, "nan.onnx");
      await exportOnnx(nan, nanFile, meta);
      await expect(loadServingModel(nanFile, { featureNames: data.featureNames })).rejects.toBeInstanceOf(NonFiniteOutputError);
      expect((await readFile(good)).length).toBe(bytes.length);
    });
  });
});
