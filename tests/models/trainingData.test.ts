// What training reads is unambiguous and sensible by default: one feature node (an error listing them when the run
// recorded several, which used to be read as one, duplicating rows), no constant, raw-level or price-level column
// unless named, and a purge between training and test rows that spans the label horizon in event time.
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { loadRecordedFeatures, parseLabelSpec, spanOfBars, TrainingDataError } from "../../models/recordedFeatures.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { replay } from "../../replay/replay.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { BarMessage } from "../../schemas/bar.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";
import { join } from "node:path";
import { ModelRegistry } from "../../models/registry.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { FEATURES, MODEL_PIPELINE, recordInputs, simulatedInputs } from "./recording.ts";

/** The sim pipeline recording two feature nodes: the indicators and the joined rows. */
const TWO_NODES = `${MODEL_PIPELINE.replace("  - { type: duckdb, in: joined }", "  - { type: duckdb, in: joined }\n  - { type: duckdb, in: indicators }")}
`;

describe("training data", () => {
  it("refuses a run with several feature nodes unless one is named, then reads only that node's rows", async () => {
    await withDatabase(async (db) => {
      await recordInputs(db, simulatedInputs(300));
      const p = parsePipeline(TWO_NODES, "two.yaml");
      await replay({ pipeline: bindModelSlots(p, new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "r", now: () => 0n });
      const label = parseLabelSpec("fwd_return:5");
      await expect(loadRecordedFeatures(db, { runId: "r", label })).rejects.toThrow(TrainingDataError);
      await expect(loadRecordedFeatures(db, { runId: "r", label })).rejects.toThrow(
        /run r recorded feature rows of 2 nodes \(indicators, joined\): name the one to train on \(--node\)/,
      );
      await expect(loadRecordedFeatures(db, { runId: "r", label, node: "nope" })).rejects.toThrow(
        /no feature rows of node nope; its feature nodes: indicators, joined/,
      );
      const joined = await loadRecordedFeatures(db, { runId: "r", label, node: "joined", features: [...FEATURES] });
      const [{ n }] = await db.query<{ n: bigint }>(`SELECT count(*) n FROM features WHERE run_id = 'r' AND node = 'joined'`);
      expect(joined.rowsRead).toBe(Number(n));
      expect(joined.node).toBe("joined");
      // One row per symbol and time: nothing read twice.
      const keys = joined.timestamps.length;
      expect(new Set(Array.from({ length: keys }, (_, i) => `${joined.symbols[i]}@${joined.timestamps[i]}`)).size).toBe(keys);
      // The label horizon in event time: 5 one-minute bars.
      expect(joined.horizonNs).toBe(5n * 60_000_000_000n);
    });
  }, 60_000);

  it("leaves constants, raw bar fields and price levels out of the default features, saying why", async () => {
    await withDatabase(async (db) => {
      await recordInputs(db, { ...simulatedInputs(300), news: [] }); // no news: sentiment is a constant 0
      const p = parsePipeline(
        MODEL_PIPELINE.replace(
          "        - { id: z20, name: zscore, period: 20 }",
          "        - { id: z20, name: zscore, period: 20 }\n        - { id: sma10, name: sma, period: 10 }",
        ),
        "levels.yaml",
      );
      await replay({ pipeline: bindModelSlots(p, new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "r", now: () => 0n });
      const data = await loadRecordedFeatures(db, { runId: "r", label: parseLabelSpec("fwd_return:5") });
      const out = Object.fromEntries(data.leftOut.map((l) => [l.name, l.reason]));
      expect(out).toMatchObject({
        close: "raw bar field",
        volume: "raw bar field",
        sentiment: "constant 0",
        sma10: "price level, tracks the close",
      });
      expect(data.featureNames).toEqual(expect.arrayContaining(["ret", "rsi", "roc5", "z20"]));
      for (const name of ["close", "open", "vwap", "volume", "sentiment", "sma10"]) expect(data.featureNames).not.toContain(name);
      // Named, a left-out column is used.
      const named = await loadRecordedFeatures(db, { runId: "r", label: parseLabelSpec("fwd_return:5"), features: ["ret", "sma10"] });
      expect(named.featureNames).toEqual(["ret", "sma10"]);
    });
  }, 60_000);

  it("refuses an embargo shorter than the label horizon", async () => {
    await withDatabase(async (db) => {
      await recordInputs(db, simulatedInputs(300));
      await replay({
        pipeline: bindModelSlots(parsePipeline(MODEL_PIPELINE, "m.yaml"), new Map([["scored", new ModelSlot([...FEATURES])]])),
        db,
        runId: "r",
        now: () => 0n,
      });
      const { dir, cleanup } = tempDir();
      try {
        const registry = await ModelRegistry.open(db, { directory: join(dir, "models"), clock: { nowNs: () => 1n } });
        await expect(
          trainFromRecording(db, registry, {
            pipeline: "sim-model",
            runId: "r",
            label: parseLabelSpec("fwd_return:5"),
            kind: "logreg",
            features: FEATURES,
            embargoBars: 2,
          }),
        ).rejects.toThrow(/embargo 2 bars is shorter than the label horizon 5/);
      } finally {
        cleanup();
      }
    });
  }, 60_000);

  it("the purge spans the longest time N bars take: 5 daily bars over a weekend are 7 days, over a holiday more", () => {
    const DAY = 86_400_000_000_000n;
    // Weekdays of two weeks, the second Monday a holiday.
    const days = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 15, 16, 17];
    const rows = days.map((d) => ({ symbol: "ORCL", ts: BigInt(d) * DAY }));
    expect(spanOfBars(rows, 5)).toBe(8n * DAY); // day 7 → day 15 (5 bars, holiday and weekend inside)
    expect(spanOfBars(rows, 1)).toBe(4n * DAY); // Friday 11 → Tuesday 15
    // Two symbols at different bar rates: the slower one decides.
    const both = [...rows, ...[0, 10, 20, 30, 40, 50, 60].map((d) => ({ symbol: "SLOW", ts: BigInt(d) * DAY }))];
    expect(spanOfBars(both, 5)).toBe(50n * DAY);
  });

  it("labels come from the recorded input bars, not from a feature column, when every row has its bar", async () => {
    await withDatabase(async (db) => {
      const bars = orclBars();
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        bars,
        bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
      );
      const p = parsePipeline(
        `name: b\nsources:\n  bars: { type: bar }\nnodes:\n  ind: { op: indicators, in: bars, params: { set: [{ id: rsi, name: rsi, period: 14 }] } }\nsinks:\n  - { type: duckdb, in: ind }\n`,
        "b.yaml",
      );
      await replay({ pipeline: p, db, runId: "b", now: () => 0n });
      const label = parseLabelSpec("fwd_return:1");
      const before = await loadRecordedFeatures(db, { runId: "b", label, features: ["ret", "rsi"] });
      expect(before.priceSource).toBe("the recorded input bars' close");
      // A feature column named close that lies (doubles every other bar) does not move a label.
      await db.run(
        `UPDATE features SET "values" = json_merge_patch("values", json_object('close', TRY_CAST(json_extract_string("values", '$.close') AS DOUBLE) * (1 + (out_seq % 2))))::VARCHAR WHERE run_id = 'b'`,
      );
      const after = await loadRecordedFeatures(db, { runId: "b", label, features: ["ret", "rsi"] });
      expect(Array.from(after.y)).toEqual(Array.from(before.y));
      // Asked for a feature close explicitly, it is used.
      const fromFeature = await loadRecordedFeatures(db, { runId: "b", label, features: ["ret", "rsi"], closeFeature: "close" });
      expect(fromFeature.priceSource).toBe("the feature close");
      expect(Array.from(fromFeature.y)).not.toEqual(Array.from(before.y));
    });
  }, 60_000);
});
