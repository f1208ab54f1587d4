import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { exportOnnx } from "../../models/onnxExport.ts";
import { modelId, ModelRegistry } from "../../models/registry.ts";
import { OnnxScorer } from "../../models/onnxScorer.ts";
import { smallGbt, smallLogreg, withConnection, withTempDir } from "./helpers.ts";

const clock = (start: bigint) => {
  let now = start;
  return { nowNs: () => (now += 1_000_000_000n) };
};

describe("ModelRegistry on a real DuckDB file", () => {
  test("register → list → get round-trip, survives reopening the database", async () => {
    await withTempDir(async (dir) => {
      const dbFile = join(dir, "registry.duckdb");
      const filesDir = join(dir, "files");
      const { model } = smallLogreg();
      const gbt = smallGbt().model;

      const registered = await withConnection(dbFile, async (connection) => {
        const registry = await ModelRegistry.open(connection, { directory: filesDir, clock: clock(1_700_000_000_000_000_000n) });
        const out = [];
        for (const [m, name] of [
          [model, "momentum"],
          [gbt, "momentum"],
          [model, "meanrev"],
        ] as const) {
          const version = await registry.nextVersion(name);
          const src = join(dir, `${name}-${version}.onnx`);
          await exportOnnx(m, src, { modelId: modelId(name, version), name, version, pipeline: "btc-1m" });
          out.push(
            await registry.register({
              sourceFile: src,
              trainStartNs: 1_690_000_000_123_456_789n,
              trainEndNs: 1_695_000_000_987_654_321n,
              metrics: { auc: 0.61, logLoss: 0.68 },
            }),
          );
        }
        return out;
      });
      expect(registered.map((r) => r.id)).toEqual(["momentum-v1", "momentum-v2", "meanrev-v1"]);

      await withConnection(dbFile, async (connection) => {
        const registry = await ModelRegistry.open(connection, { directory: filesDir, clock: clock(0n) });
        const all = await registry.list();
        expect(all.map((r) => r.id)).toEqual(["meanrev-v1", "momentum-v1", "momentum-v2"]);
        const got = await registry.get("momentum-v2");
        expect(got).toEqual(registered[1]);
        expect(got).toMatchObject({
          kind: "gbt",
          version: 2,
          featureNames: ["x0", "x1", "x2", "x3"],
          trainStartNs: 1_690_000_000_123_456_789n, // nanoseconds survive TIMESTAMP_NS
          createdAtNs: 1_700_000_002_000_000_000n,
          metrics: { auc: 0.61, logLoss: 0.68 },
          pipeline: "btc-1m",
        });
        expect(await registry.get("nope-v1")).toBeUndefined();
        expect((await registry.list({ name: "momentum" })).map((r) => r.version)).toEqual([1, 2]);
        expect(await registry.nextVersion("momentum")).toBe(3);

        // the registry's copy loads with the hash it recorded
        await registry.verifyFile(got!);
        const scorer = await OnnxScorer.load(got!.filePath, { featureNames: got!.featureNames, expectedSha256: got!.sha256 });
        await scorer.release();

        await writeFile(got!.filePath, "tampered");
        await expect(registry.verifyFile(got!)).rejects.toThrow(/registry says .*do not deploy it/);
      });
    });
  });

  test("refuses a duplicate id and a model without a pipeline; concurrent calls share one connection safely", async () => {
    await withTempDir(async (dir) => {
      await withConnection(join(dir, "r.duckdb"), async (connection) => {
        const registry = await ModelRegistry.open(connection, { directory: join(dir, "files"), clock: clock(0n) });
        const { model } = smallLogreg();
        const src = join(dir, "a.onnx");
        await exportOnnx(model, src, { modelId: "a-v1", name: "a", version: 1, pipeline: "p" });
        const reg = { sourceFile: src, trainStartNs: 1n, trainEndNs: 2n, metrics: {} };
        await registry.register(reg);
        await expect(registry.register(reg)).rejects.toThrow(/a-v1: already registered; ask nextVersion\("a"\)/);
        const noPipeline = join(dir, "b.onnx");
        await exportOnnx(model, noPipeline, { modelId: "b-v1", name: "b", version: 1 });
        await expect(registry.register({ ...reg, sourceFile: noPipeline })).rejects.toThrow(/no pipeline/);
        const results = await Promise.all([registry.list(), registry.get("a-v1"), registry.nextVersion("a"), registry.list({ pipeline: "p" })]);
        expect(results[2]).toBe(2);
        expect(results[3]).toHaveLength(1);
      });
    });
  });
});
