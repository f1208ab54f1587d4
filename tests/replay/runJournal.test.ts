// Run records are never overwritten, except the one case where nothing of the run exists but its record: a live run
// killed (or failed) before its first batch committed starts over under its id; one that committed refuses.
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { createTableSql, RUN_INPUTS_LAYOUT } from "../../sinks/recordingTables.ts";
import { DuckDbRunJournal, RunExistsError } from "../../replay/runs.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { withDatabase } from "../helpers/duckdb.ts";

const pipeline = parsePipeline(`name: j
sources:
  bars: { type: bar }
nodes:
  rows: { op: indicators, in: bars, params: { set: [{ id: s, name: sma, period: 2 }] } }
sinks:
  - { type: duckdb, in: rows }
`);
const summary = (runId: string): RunSummary =>
  ({
    runId,
    counters: { inputs: 0, outputs: {}, deadLetters: 0, late: 0, duplicates: 0, batches: 0 },
    digest: "0".repeat(64),
    perNodeDigest: {},
  }) as unknown as RunSummary;

describe("DuckDbRunJournal", () => {
  it("restarts a live run that committed nothing; refuses one that committed an input, and any replay id", async () => {
    await withDatabase(async (db) => {
      const first = new DuckDbRunJournal(db);
      await first.start({ runId: "k", pipeline, mode: "live" });
      await first.finish(summary("k"), "failed");
      const again = new DuckDbRunJournal(db);
      await again.start({ runId: "k", pipeline, mode: "live" });
      const events = await db.query<{ event: string }>("SELECT event FROM run_events WHERE run_id = 'k' ORDER BY happened_at, rowid");
      expect(events.map((e) => e.event)).toEqual(["started", "failed", "restarted"]);
      await again.finish(summary("k"), "failed");

      await db.run(createTableSql(RUN_INPUTS_LAYOUT));
      await db.run("INSERT INTO run_inputs VALUES ('k', 'bars', 'b1', NULL)");
      await expect(new DuckDbRunJournal(db).start({ runId: "k", pipeline, mode: "live" })).rejects.toBeInstanceOf(RunExistsError);

      const replayRun = new DuckDbRunJournal(db);
      await replayRun.start({ runId: "r", pipeline, mode: "replay" });
      await replayRun.finish(summary("r"), "failed");
      await expect(new DuckDbRunJournal(db).start({ runId: "r", pipeline, mode: "replay" })).rejects.toBeInstanceOf(RunExistsError);
    });
  });
});
