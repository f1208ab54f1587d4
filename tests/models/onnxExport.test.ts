import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { exportOnnx, OnnxVerificationError, verifyOnnx } from "../../models/onnxExport.ts";
import { readOnnxModelInfo } from "../../models/onnxScorer.ts";
import { logisticData, xorData } from "./synthetic.ts";
import { smallGbt, smallLogreg, withTempDir } from "./helpers.ts";

const meta = { modelId: "test-v1", name: "test", version: 1, pipeline: "btc-1m" };

describe("ONNX export verified with onnxruntime", () => {
  test("logistic regression: onnxruntime equals TS on held-out rows within 1e-6", async () => {
    const { model } = smallLogreg();
    const heldOut = logisticData(1500, [1, -2, 0.5], 0.3, 8, [1, 3, 0.2]);
    await withTempDir(async (dir) => {
      const file = join(dir, "logreg.onnx");
      await exportOnnx(model, file, meta);
      const v = await verifyOnnx(model, file, heldOut.X, heldOut.n);
      console.log(`logreg onnx max abs diff: ${v.maxAbsDiff}`);
      expect(v.rows).toBe(1500);
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    });
  });

  test("gradient-boosted trees: onnxruntime equals TS on held-out rows within 1e-6", async () => {
    const { model } = smallGbt();
    const heldOut = xorData(1500, 14, 2);
    await withTempDir(async (dir) => {
      const file = join(dir, "gbt.onnx");
      await exportOnnx(model, file, meta);
      const v = await verifyOnnx(model, file, heldOut.X, heldOut.n);
      console.log(`gbt onnx max abs diff: ${v.maxAbsDiff}`);
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    });
  });

  test("rows exactly on a split threshold route the same way in ONNX (BRANCH_LEQ, double)", async () => {
    const { model, data } = smallGbt();
    const f = data.featureNames.length;
    const onThreshold = new Float64Array(model.trees.length * f);
    model.trees.forEach((tree, t) => {
      for (let j = 0; j < f; j++) onThreshold[t * f + j] = data.X[j]!;
      if (tree.feature[0]! >= 0) onThreshold[t * f + tree.feature[0]!] = tree.threshold[0]!;
    });
    await withTempDir(async (dir) => {
      const file = join(dir, "gbt.onnx");
      await exportOnnx(model, file, meta);
      const v = await verifyOnnx(model, file, onThreshold, model.trees.length);
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    });
  });

  test("a model that disagrees with its file fails verification and names the figure", async () => {
    const { model, data } = smallLogreg();
    await withTempDir(async (dir) => {
      const file = join(dir, "logreg.onnx");
      await exportOnnx(model, file, meta);
      const drifted = { ...model, intercept: model.intercept + 0.01 };
      const error = await verifyOnnx(drifted, file, data.X, data.n).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OnnxVerificationError);
      expect((error as OnnxVerificationError).maxAbsDiff).toBeGreaterThan(1e-6);
      expect((error as Error).message).toMatch(/max abs \d.*limit 0.000001/);
    });
  });

  test("metadata carries feature order, id, version, kind and pipeline", async () => {
    const { model } = smallGbt();
    await withTempDir(async (dir) => {
      const file = join(dir, "gbt.onnx");
      await exportOnnx(model, file, meta);
      const info = readOnnxModelInfo(await readFile(file), file);
      expect(info).toMatchObject({ modelId: "test-v1", name: "test", version: 1, kind: "gbt", pipeline: "btc-1m", featureNames: ["x0", "x1", "x2", "x3"] });
      expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  test("export is deterministic: same data, same bytes", async () => {
    await withTempDir(async (dir) => {
      const a = await exportOnnx(smallGbt().model, join(dir, "a.onnx"), meta);
      const b = await exportOnnx(smallGbt().model, join(dir, "b.onnx"), meta);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    });
  });
});
