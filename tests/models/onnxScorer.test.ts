import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import { exportOnnx } from "../../models/onnxExport.ts";
import { predictProba } from "../../models/model.ts";
import { ModelLoadError, NonFiniteOutputError, OnnxScorer } from "../../models/onnxScorer.ts";
import { FeatureMismatchError } from "../../models/featureOrder.ts";
import { mulberry32 } from "../../models/prng.ts";
import { smallGbt, smallLogreg, withTempDir } from "./helpers.ts";

const meta = { modelId: "m-v2", name: "m", version: 2, pipeline: "btc-1m" };

describe("OnnxScorer", () => {
  test("scores batches equal to the TS model and exposes the declared identity", async () => {
    const { model, data } = smallGbt();
    await withTempDir(async (dir) => {
      const file = join(dir, "m.onnx");
      await exportOnnx(model, file, meta);
      const scorer = await OnnxScorer.load(file, { featureNames: data.featureNames, expectedModelId: "m-v2" });
      try {
        expect(scorer.info).toMatchObject({ modelId: "m-v2", version: 2, kind: "gbt" });
        const p = await scorer.score(data.X.subarray(0, 10 * 4), 10);
        const ts = predictProba(model, data.X.subarray(0, 40), 10);
        for (let i = 0; i < 10; i++) expect(Math.abs(p[i]! - ts[i]!)).toBeLessThanOrEqual(1e-6);
        expect(await scorer.score(new Float64Array(0), 0)).toHaveLength(0);
      } finally {
        await scorer.release();
      }
    });
  });

  test("a corrupt .onnx file is rejected with a clear ModelLoadError", async () => {
    const { model, data } = smallLogreg();
    await withTempDir(async (dir) => {
      const good = join(dir, "good.onnx");
      const bytes = await exportOnnx(model, good, meta);
      const rand = mulberry32(5);
      const cases: Record<string, Uint8Array> = {
        "truncated.onnx": bytes.subarray(0, Math.floor(bytes.length / 2)),
        "random.onnx": Uint8Array.from({ length: 512 }, () => Math.floor(rand() * 256)),
        "text.onnx": new TextEncoder().encode("this is not a model\n"),
        "empty.onnx": new Uint8Array(0),
        // valid protobuf, broken graph: flip bytes inside the node list but keep metadata
        "flipped.onnx": Uint8Array.from(bytes, (b, i) => (i > 40 && i < 120 ? b ^ 0x5a : b)),
      };
      for (const [name, content] of Object.entries(cases)) {
        const file = join(dir, name);
        await writeFile(file, content);
        const error = await OnnxScorer.load(file, { featureNames: data.featureNames }).catch((e: unknown) => e);
        expect(error, name).toBeInstanceOf(ModelLoadError);
        expect((error as Error).message, name).toContain(file);
      }
      const missing = await OnnxScorer.load(join(dir, "nope.onnx"), { featureNames: data.featureNames }).catch((e: unknown) => e);
      expect((missing as Error).message).toMatch(/cannot read file/);
    });
  });

  test("feature order mismatch is rejected naming the first differing feature", async () => {
    const { model } = smallLogreg(); // features f0, f1, f2
    await withTempDir(async (dir) => {
      const file = join(dir, "m.onnx");
      await exportOnnx(model, file, meta);
      await expect(OnnxScorer.load(file, { featureNames: ["f0", "f2", "f1"] })).rejects.toThrow(
        new FeatureMismatchError(
          'model m-v2: feature 1 differs: model expects "f1", caller supplies "f2"; the pipeline\'s feature list must match the model\'s order',
          1,
        ),
      );
      await expect(OnnxScorer.load(file, { featureNames: ["f0", "f1"] })).rejects.toThrow(/feature 2 differs: model expects "f2", caller supplies nothing/);
      await expect(OnnxScorer.load(file, { featureNames: ["f0", "f1", "f2"], expectedSha256: "00" })).rejects.toThrow(/sha256 .* differs from the expected 00/);
    });
  });

  test("non-finite outputs are an error naming the row", async () => {
    const { model, data } = smallLogreg();
    await withTempDir(async (dir) => {
      const file = join(dir, "m.onnx");
      await exportOnnx(model, file, meta);
      const scorer = await OnnxScorer.load(file, { featureNames: data.featureNames });
      try {
        const rows = data.X.slice(0, 9);
        rows[4] = Number.NaN; // row 1
        const error = await scorer.score(rows, 3).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NonFiniteOutputError);
        expect((error as NonFiniteOutputError).row).toBe(1);
      } finally {
        await scorer.release();
      }
    });
  });

  test("the committed golden model still loads and scores its recorded outputs", async () => {
    const dir = new URL("../fixtures/models/", import.meta.url);
    const file = new URL("logreg-golden.onnx", dir).pathname;
    const golden = JSON.parse(await readFile(new URL("logreg-golden.json", dir), "utf8")) as {
      featureNames: string[];
      rows: number[][];
      probabilities: number[];
    };
    const scorer = await OnnxScorer.load(file, { featureNames: golden.featureNames });
    const p = await scorer.score(Float64Array.from(golden.rows.flat()), golden.rows.length);
    golden.probabilities.forEach((q, i) => expect(Math.abs(p[i]! - q)).toBeLessThanOrEqual(1e-12));
    await scorer.release();
  });
});
