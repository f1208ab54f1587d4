// Stopping a live run mid-stream loses nothing: messages the client already held but had not handed to the
// pipeline stay unacked, and a run resuming the same durable consumers processes exactly the rest.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { withNats } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const PIPELINE = join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml");

describe("stop and resume (real nats-server, real DuckDB)", () => {
  it("processes every message exactly once across a stop in the middle of a stream", async () => {
    await withNats(async ({ nc }) => {
      const { dir, cleanup } = tempDir();
      const db = await Database.open(join(dir, "rec.duckdb"));
      try {
        const COUNT = 60_000;
        await publishSimulatedFeed(nc, { symbols: ["AAPL", "MSFT"], seed: 5, startNs: DEFAULT_SIM_START_NS, count: COUNT, tradesPerSecond: 2 });
        const first = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc, db, runId: "part-1", consumerPrefix: "resume", print: () => {} });
        await first.start();
        await first.waitFor(() => first.run.counters.inputs >= 1, 60_000);
        const a = await first.stop();
        expect(a.counters.inputs).toBeLessThan(COUNT);

        const second = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc, db, runId: "part-2", consumerPrefix: "resume", print: () => {} });
        await second.start();
        await second.waitFor(() => a.counters.inputs + second.run.counters.inputs >= COUNT, 60_000);
        const b = await second.stop();
        expect(a.counters.inputs + b.counters.inputs).toBe(COUNT);
        expect(a.counters.late + b.counters.late).toBe(0);
        const [rec] = await db.query<{ n: bigint }>("SELECT (SELECT count(*) FROM trades) + (SELECT count(*) FROM news) n");
        expect(Number(rec!.n)).toBe(COUNT);
      } finally {
        await db.close();
        cleanup();
      }
    });
  });
});
