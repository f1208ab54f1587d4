// `tickflow replay --model ID` refuses a model registered for another pipeline: its features are that pipeline's,
// and the digest of such a replay would mean nothing.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openRegistry } from "../../cli/commands/train.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { replay } from "../../replay/replay.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { FEATURES, MODEL_PIPELINE, modelPipeline, recordInputs, simulatedInputs } from "../models/recording.ts";

const ROOT = join(import.meta.dirname, "../..");

describe("replay --model", () => {
  it("refuses a model trained for another pipeline, naming both", async () => {
    const { dir, cleanup } = tempDir();
    try {
      let id = "";
      await withDatabase(async (db) => {
        await recordInputs(db, simulatedInputs(200));
        await replay({ pipeline: bindModelSlots(modelPipeline(), new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "rec-1", now: () => 0n });
        const { registry, close } = await openRegistry(dir);
        try {
          const { record } = await trainFromRecording(db, registry, {
            pipeline: "sim-model",
            runId: "rec-1",
            label: parseLabelSpec("fwd_return:5"),
            kind: "logreg",
            features: FEATURES,
            name: "sim",
            params: {},
          });
          id = record.id;
        } finally {
          await close();
        }
      });
      const other = join(dir, "other.yaml");
      writeFileSync(other, MODEL_PIPELINE.replace("name: sim-model", "name: other-model"));
      const r = spawnSync(process.execPath, [join(ROOT, "bin", "tickflow.js"), "replay", other, "--model", id, "--no-record"], {
        env: { ...process.env, TICKFLOW_DATA: dir, TICKFLOW_DB: join(dir, "absent.duckdb") },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`model ${id} was trained for pipeline sim-model, not other-model`);
    } finally {
      cleanup();
    }
  }, 120_000);
});
