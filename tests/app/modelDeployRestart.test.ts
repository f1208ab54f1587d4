// A poisoned deployment key never leaves a run silently without a model (real nats-server, real DuckDB): at start
// the last good deployment of the key's history serves, and with none the run is unready saying why. Every outcome
// is announced on models.verdicts.<pipeline>, which `tickflow models deploy` waits for.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deploymentOf, ModelDeployment, publishDeployment, type Deployment } from "../../app/modelDeployment.ts";
import { collectVerdicts } from "../../cli/commands/models.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { ModelRegistry, type ModelRecord } from "../../models/registry.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { replay } from "../../replay/replay.ts";
import type { DeadLetter } from "../../schemas/deadLetter.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { withNats } from "../helpers/nats.ts";
import { FEATURES, modelPipeline, recordInputs, simulatedInputs } from "../models/recording.ts";

async function trained(dir: string, fn: (v1: ModelRecord, poisoned: Deployment) => Promise<void>): Promise<void> {
  await withDatabase(async (db) => {
    await recordInputs(db, simulatedInputs(300));
    await replay({ pipeline: bindModelSlots(modelPipeline(), new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "rec-1", now: () => 0n });
    const registry = await ModelRegistry.open(db, { directory: join(dir, "models"), clock: { nowNs: () => 1n } });
    const { record } = await trainFromRecording(db, registry, {
      pipeline: "sim-model",
      runId: "rec-1",
      label: parseLabelSpec("fwd_return:5"),
      kind: "logreg",
      features: FEATURES,
      name: "sim",
      params: {},
    });
    // The same model id and version with a truncated file: it fails to load.
    const bad = join(dir, "truncated.onnx");
    const bytes = await readFile(record.filePath);
    await writeFile(bad, bytes.subarray(0, bytes.length >> 1));
    const sha256 = createHash("sha256")
      .update(await readFile(bad))
      .digest("hex");
    await fn(record, { ...deploymentOf(record, 0n), filePath: bad, sha256 });
  });
}

describe("a rejected deployment at start", () => {
  test("the last good deployment serves, the rejection is dead-lettered and announced", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await trained(dir, async (v1, poisoned) => {
        await withNats(async ({ nc }) => {
          const good = await publishDeployment(nc, deploymentOf(v1, 0n));
          const bad = await publishDeployment(nc, poisoned);
          const verdicts = collectVerdicts(nc, "sim-model");
          const letters: DeadLetter[] = [];
          const lines: string[] = [];
          const d = await ModelDeployment.start({
            nc,
            pipeline: modelPipeline(),
            watch: false,
            runId: "live-x",
            deadLetter: (l) => letters.push(l),
            log: (l) => lines.push(l),
          });
          try {
            expect(d.current?.id).toBe(v1.id);
            expect(lines.join("\n")).toContain(`deployment revision ${bad} was rejected; serving the last good deployment, revision ${good} (model ${v1.id})`);
            expect(await d.readinessProbe().check()).toBeUndefined();
            expect(d.serving()).toMatchObject({ nodes: { scored: v1.id }, lastProblem: { revision: bad } });
            expect(letters).toHaveLength(1);
            expect(letters[0]!.ref).toContain(`revision ${bad}`);
            const [v] = await verdicts.wait(bad, 1, 5000);
            expect(v).toMatchObject({ pipeline: "sim-model", revision: bad, outcome: "rejected", serving: v1.id, runId: "live-x" });
          } finally {
            verdicts.close();
            await d.stop();
          }
        });
      });
    } finally {
      cleanup();
    }
  }, 120_000);

  test("with no good deployment in the history the run is unready, saying which revision was rejected and why", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await trained(dir, async (_v1, poisoned) => {
        await withNats(async ({ nc }) => {
          const bad = await publishDeployment(nc, poisoned);
          const d = await ModelDeployment.start({ nc, pipeline: modelPipeline(), watch: false, log: () => undefined });
          try {
            expect(d.current).toBeUndefined();
            const why = await d.readinessProbe().check();
            expect(why).toMatch(new RegExp(`^no model serves predict node scored; deployment revision ${bad} was rejected: .+; rows pass through unscored$`));
          } finally {
            await d.stop();
          }
        });
      });
    } finally {
      cleanup();
    }
  }, 120_000);

  test("with nothing deployed the run is unready too, and says how to deploy", async () => {
    await withNats(async ({ nc }) => {
      const d = await ModelDeployment.start({ nc, pipeline: modelPipeline(), watch: false, log: () => undefined });
      try {
        expect(await d.readinessProbe().check()).toBe(
          "no model serves predict node scored; nothing is deployed for pipeline sim-model (tickflow models deploy ID); rows pass through unscored",
        );
        expect(d.counters()).toEqual({ scored: { scored: 0, noModel: 0, warmUp: 0, nonFinite: 0 } });
      } finally {
        await d.stop();
      }
    });
  }, 60_000);
});
