import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { trainAndEvaluate } from "../../models/train.ts";
import { ModelRegistry } from "../../models/registry.ts";
import { logisticData, xorData } from "./synthetic.ts";
import { withConnection, withTempDir } from "./helpers.ts";

describe("trainAndEvaluate", () => {
  test("walk-forward folds, held-out metrics, export + verify, registration accepted by the registry", async () => {
    const d = xorData(3000, 31, 1);
    d.y[2999] = Number.NaN; // the last row has no full horizon yet
    await withTempDir(async (dir) => {
      const path = join(dir, "xor-v1.onnx");
      const result = await trainAndEvaluate({
        X: d.X,
        y: d.y,
        timestamps: d.timestamps,
        featureNames: d.featureNames,
        kind: "gbt",
        params: { nTrees: 30, maxDepth: 3 },
        split: { folds: 3, embargo: { rows: 10 } },
        export: { path, meta: { modelId: "xor-v1", name: "xor", version: 1, pipeline: "test" } },
      });
      expect(result.droppedUnlabeled).toBe(1);
      expect(result.folds).toHaveLength(3);
      const last = result.folds[2]!;
      expect(last.train.end).toBe(last.test.start - 10);
      expect(result.heldOut.predictions).toHaveLength(last.test.end - last.test.start);
      expect(result.heldOut.metrics.auc).toBeGreaterThan(0.9);
      expect(result.trainWindow.endNs).toBe(d.timestamps[last.train.end - 1]);
      expect(result.trainWindow.endNs).toBeLessThan(result.heldOut.timestamps[0]!);
      expect(result.onnx!.maxAbsDiff).toBeLessThanOrEqual(1e-6);

      const record = await withConnection(join(dir, "r.duckdb"), async (c) => {
        const registry = await ModelRegistry.open(c, { directory: join(dir, "files"), clock: { nowNs: () => 5n } });
        return registry.register(result.registration!);
      });
      expect(record).toMatchObject({ id: "xor-v1", kind: "gbt", sha256: result.onnx!.sha256, pipeline: "test" });
      expect((record.metrics["heldOut"] as { auc: number }).auc).toBe(result.heldOut.metrics.auc);
    });
  });

  test("logreg without export: same request, same result (deterministic)", async () => {
    const d = logisticData(2000, [0.8, -0.5], 0.1, 3);
    const req = { X: d.X, y: d.y, timestamps: d.timestamps, featureNames: d.featureNames, kind: "logreg" as const, split: { trainFrac: 0.75 } };
    const a = await trainAndEvaluate(req);
    const b = await trainAndEvaluate(req);
    expect(a.onnx).toBeUndefined();
    expect(Array.from(b.heldOut.predictions)).toEqual(Array.from(a.heldOut.predictions));
    expect(a.heldOut.metrics.rows).toBe(500);
    expect(a.heldOut.metrics.auc).toBeGreaterThan(0.6);
  });
});
