// Stopping a live run mid-stream changes nothing it computes: the stopped run keeps its operator state, digests
// and source positions in its checkpoint, what the sequencer held stays unacked, and starting the same run id
// again continues exactly: the same inputs once each, the same digest as a run that was never stopped.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import { listCheckpoints } from "../../replay/checkpoints.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { withNats } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import type { NatsConnection } from "@nats-io/transport-node";

const PIPELINE = join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml");
const COUNT = 40_000;

/** Runs `runId` until it has processed `until` inputs in all (counters continue across resumes), then stops it. */
async function runUntil(nc: NatsConnection, db: Database, runId: string, until: number): Promise<{ summary: RunSummary; resumedFrom?: bigint }> {
  const live = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc, db, runId, print: () => {} });
  await live.start();
  await live.waitFor(() => live.run.counters.inputs >= until, 60_000);
  return { summary: await live.stop(), resumedFrom: live.resumedFrom };
}

describe("stop and resume (real nats-server, real DuckDB)", () => {
  it("a run stopped twice and resumed gives the digest of the uninterrupted run, every input once", async () => {
    await withNats(async ({ nc }) => {
      const { dir, cleanup } = tempDir();
      const db = await Database.open(join(dir, "rec.duckdb"));
      try {
        // The feed arrives in three parts; the run is stopped after each and started again.
        const feed: OutgoingMessage[] = [];
        for (const m of simulate({ symbols: ["AAPL", "MSFT"], seed: 5, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 2 })) {
          feed.push(toOutgoing(m));
          if (feed.length === COUNT) break;
        }
        const publisher = new JetStreamPublisher(nc, { inFlight: 512 });
        const parts = [0, 13_000, 29_000, COUNT];
        await publisher.publishAll(feed.slice(0, parts[1]));
        const a = await runUntil(nc, db, "stopped", parts[1]!);
        expect(a.resumedFrom).toBeUndefined();
        expect(a.summary.counters.inputs).toBe(parts[1]);
        await publisher.publishAll(feed.slice(parts[1], parts[2]));
        const b = await runUntil(nc, db, "stopped", parts[2]!);
        expect(b.resumedFrom).toBeGreaterThan(0n);
        await publisher.publishAll(feed.slice(parts[2]));
        const c = await runUntil(nc, db, "stopped", COUNT);
        expect(c.resumedFrom).toBeGreaterThan(b.resumedFrom!);

        const whole = await runUntil(nc, db, "whole", COUNT);
        expect(whole.summary.counters.inputs).toBe(COUNT);

        expect(c.summary.counters.inputs).toBe(COUNT);
        expect(c.summary.counters.late).toBe(0);
        expect(c.summary.counters.duplicates).toBe(0);
        expect(c.summary.counters.outputs).toEqual(whole.summary.counters.outputs);
        expect(c.summary.perNodeDigest).toEqual(whole.summary.perNodeDigest);
        expect(c.summary.digest).toBe(whole.summary.digest);

        // The recording agrees: each run's outputs are the same rows, each input recorded once and processed once.
        const [same] = await db.query<{ n: bigint }>(
          `SELECT count(*) n FROM (SELECT * EXCLUDE (run_id) FROM signals WHERE run_id = 'whole' EXCEPT SELECT * EXCLUDE (run_id) FROM signals WHERE run_id = 'stopped')`,
        );
        expect(same!.n).toBe(0n);
        const [rec] = await db.query<{ n: bigint }>("SELECT (SELECT count(*) FROM trades) + (SELECT count(*) FROM news) n");
        expect(Number(rec!.n)).toBe(COUNT);
        const [processed] = await db.query<{ n: bigint }>("SELECT count(*) n FROM run_inputs WHERE run_id = 'stopped'");
        expect(Number(processed!.n)).toBe(COUNT);
        const events = await db.query<{ event: string }>("SELECT event FROM run_events WHERE run_id = 'stopped' ORDER BY happened_at, rowid");
        expect(events.map((e) => e.event)).toEqual(["started", "stopped", "resumed", "stopped", "resumed", "stopped"]);
        expect((await listCheckpoints(db, "stopped")).length).toBeGreaterThan(0);
      } finally {
        await db.close();
        cleanup();
      }
    });
  });
});
