// `tickflow check lookahead` covers a pipeline's predict node: with a registered model bound (--model), the scored
// rows and the signals after them are compared across the cuts like every other node.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openRegistry } from "../../cli/commands/train.ts";
import { Database } from "../../io/duckdb/database.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { replay } from "../../replay/replay.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { FEATURES, MODEL_PIPELINE, modelPipeline, recordInputs, simulatedInputs } from "../models/recording.ts";

const ROOT = join(import.meta.dirname, "../..");

describe("check lookahead --model", () => {
  it("checks the predict node with the model bound, and asks for --model without it", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dbPath = join(dir, "rec.duckdb");
      const db = await Database.open(dbPath);
      let id = "";
      try {
        await recordInputs(db, simulatedInputs(240));
        await replay({ pipeline: bindModelSlots(modelPipeline(), new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "rec-1", now: () => 0n });
        const { registry, close } = await openRegistry(dir);
        try {
          id = (
            await trainFromRecording(db, registry, {
              pipeline: "sim-model",
              runId: "rec-1",
              label: parseLabelSpec("fwd_return:5"),
              kind: "logreg",
              features: FEATURES,
            })
          ).record.id;
        } finally {
          await close();
        }
      } finally {
        await db.close();
      }
      const file = join(dir, "sim.yaml");
      writeFileSync(file, MODEL_PIPELINE);
      const check = (...extra: string[]) =>
        spawnSync(process.execPath, [join(ROOT, "bin", "tickflow.js"), "check", "lookahead", file, "--cuts", "2", ...extra], {
          env: { ...process.env, TICKFLOW_DATA: dir, TICKFLOW_DB: dbPath, CI: "true" },
          encoding: "utf8",
          timeout: 120_000,
        });
      const ok = check("--model", id);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/scored/);
      expect(ok.stdout).toMatch(/no lookahead|OK/i);
      const missing = check();
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("has a predict node: give --model ID");
    } finally {
      cleanup();
    }
  }, 180_000);
});
