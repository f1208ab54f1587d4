// End to end: record a replay of a simulated market with the features sink, train from the recording by SQL,
// export + verify + register, then replay with the trained model in the predict node and check there is no skew.
import { describe, expect, test } from "vitest";
import { join } from "node:path";
import { withDatabase, tempDir } from "../helpers/duckdb.ts";
import { replay } from "../../replay/replay.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { withFixedModel } from "../../app/modelDeployment.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { ModelRegistry } from "../../models/registry.ts";
import { loadRecordedFeatures, parseLabelSpec } from "../../models/recordedFeatures.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { loadServingModel } from "../../models/servingModel.ts";
import { FEATURES, modelPipeline, recordInputs, simulatedInputs } from "./recording.ts";

const now = { nowNs: () => 1_800_000_000_000_000_000n };

describe("train from recorded features", () => {
  test("record → label by SQL → walk-forward train → export/verify → register → serve with the same features", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await withDatabase(async (db) => {
        await recordInputs(db, simulatedInputs(600));
        const slots = new Map([["scored", new ModelSlot([...FEATURES])]]);
        const rec = await replay({ pipeline: bindModelSlots(modelPipeline(), slots), db, runId: "rec-1", now: () => 0n });
        const recorded = rec.counters.outputs["joined"]!;
        expect(recorded).toBe(1800); // 600 one-minute bars × 3 symbols
        expect(slots.get("scored")!.counters.noModel).toBe(recorded); // no model yet: rows pass through

        // Labels: sign of the 5-bar forward close return per symbol, recomputed here independently.
        const data = await loadRecordedFeatures(db, { runId: "rec-1", label: parseLabelSpec("fwd_return:5"), features: [...FEATURES] });
        const raw = await db.query<{ symbol: string; ts: bigint; v: string }>(
          `SELECT symbol, epoch_ns(ts_event) ts, "values" v FROM features WHERE run_id = 'rec-1' ORDER BY symbol, ts_event`,
        );
        const closes = new Map<string, { ts: bigint; close: number }[]>();
        for (const r of raw)
          (closes.get(r.symbol) ?? closes.set(r.symbol, []).get(r.symbol)!).push({ ts: BigInt(r.ts), close: (JSON.parse(r.v) as { close: number }).close });
        for (let k = 0; k < data.y.length; k += 37) {
          const series = closes.get(data.symbols[k]!)!;
          const i = series.findIndex((b) => b.ts === data.timestamps[k]);
          expect(data.y[k]).toBe(series[i + 5]!.close / series[i]!.close - 1 > 0 ? 1 : 0);
        }
        expect(data.droppedUnlabeled).toBe(15); // the last 5 bars of each symbol have no label yet
        expect(data.droppedIncomplete).toBeGreaterThanOrEqual(3 * 19); // z20 warm-up
        expect(data.y.length + data.droppedIncomplete + data.droppedUnlabeled).toBe(recorded);

        const registry = await ModelRegistry.open(db, { directory: join(dir, "models"), clock: now });
        const lr = await trainFromRecording(db, registry, {
          pipeline: "sim-model",
          runId: "rec-1",
          label: parseLabelSpec("fwd_return:5"),
          kind: "logreg",
          features: [...FEATURES],
        });
        const gbt = await trainFromRecording(db, registry, {
          pipeline: "sim-model",
          runId: "rec-1",
          label: parseLabelSpec("fwd_return:5"),
          kind: "gbt",
          features: [...FEATURES],
          params: { nTrees: 30, maxDepth: 3 },
        });
        for (const r of [lr, gbt]) {
          expect(r.result.onnx!.maxAbsDiff).toBeLessThanOrEqual(1e-6);
          const fold = r.result.folds[r.result.folds.length - 1]!;
          // Purged by time: no training row within the label horizon (5 one-minute bars) of the first test row.
          expect(r.embargoNs).toBe(5n * 60_000_000_000n);
          expect(data.timestamps[fold.test.start]! - data.timestamps[fold.train.end - 1]!).toBeGreaterThan(r.embargoNs);
          expect(r.result.heldOut.metrics.rows).toBe(fold.test.end - fold.test.start);
          expect(Number.isFinite(r.result.heldOut.metrics.auc)).toBe(true);
          expect(Number.isFinite(r.backtest.strategyReturn) && Number.isFinite(r.backtest.buyAndHoldReturn)).toBe(true);
          expect(r.record.metrics).toMatchObject({ runId: "rec-1", node: "joined", embargoNs: String(5n * 60_000_000_000n), backtest: r.backtest });
        }
        expect((await registry.list()).map((m) => [m.id, m.kind, m.pipeline])).toEqual([
          // Versions count per pipeline: the version on a scored row names one model of its pipeline.
          ["sim-model-gbt-v2", "gbt", "sim-model"],
          ["sim-model-logreg-v1", "logreg", "sim-model"],
        ]);

        // Serve the logreg model in the same pipeline: every complete row is scored, and the probability the
        // pipeline computed equals the model applied to the features recorded in rec-1 (no train/serve skew).
        const bound = await withFixedModel(modelPipeline(), lr.record.filePath, lr.record.sha256);
        const served = await replay({ pipeline: bound.pipeline, db, runId: "served-1", now: () => 0n });
        expect(served.counters.outputs["joined"]).toBe(recorded);
        const signals = await db.query<{ symbol: string; ts: bigint; inputs: string; model_version: string }>(
          `SELECT symbol, epoch_ns(ts_event) ts, inputs, model_version FROM signals WHERE run_id = 'served-1' ORDER BY ts_event, symbol`,
        );
        expect(signals.length).toBe(recorded - data.droppedIncomplete);
        expect(new Set(signals.map((s) => s.model_version))).toEqual(new Set([lr.record.id]));
        const complete = await loadRecordedFeatures(db, { runId: "rec-1", label: parseLabelSpec("fwd_return:1"), features: [...FEATURES] });
        const { model } = await loadServingModel(lr.record.filePath, { featureNames: [...FEATURES] });
        const p = model.score(complete.X, complete.y.length);
        const byKey = new Map(signals.map((s) => [`${s.symbol}@${s.ts}`, (JSON.parse(s.inputs) as { p_up: number }).p_up]));
        for (let k = 0; k < complete.y.length; k++) expect(byKey.get(`${complete.symbols[k]}@${complete.timestamps[k]}`)).toBe(p[k]);
      });
    } finally {
      cleanup();
    }
  });
});
