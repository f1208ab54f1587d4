// `tickflow status` against a real nats-server and DuckDB file: streams, consumers, models, the pipeline processes
// of the data directory (one alive with its HTTP server, one killed) and the latest runs.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { collectStatus, recordingStatus } from "../../app/status.ts";
import { writeProcessFile } from "../../app/processFiles.ts";
import { needsALook, statusLines } from "../../cli/commands/status.ts";
import { Database } from "../../io/duckdb/database.ts";
import { MODEL_BUCKET } from "../../io/nats/auth.ts";
import { startOpsServer } from "../../ops/httpServer.ts";
import { LiveFeed } from "../../ops/liveFeed.ts";
import { TickflowMetrics } from "../../ops/metrics.ts";
import { startRunRecord } from "../../replay/runs.ts";
import { withNats } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

describe("tickflow status (real nats-server and DuckDB)", () => {
  it("shows streams, consumers, models, running and vanished pipelines, and the latest runs", async () => {
    await withNats(async ({ nc, url }) => {
      const { dir, cleanup } = tempDir();
      const js = jetstream(nc);
      for (let i = 0; i < 5; i++) await js.publish("md.trades.AAPL", "{}", { msgID: `st-${i}` });
      await (await jetstreamManager(nc)).consumers.add("MARKET", {
        durable_name: "live-demo_trades_0",
        ack_policy: AckPolicy.Explicit,
        filter_subject: "md.trades.>",
        deliver_policy: DeliverPolicy.All,
      });
      const kv = await new Kvm(nc).create(MODEL_BUCKET, { history: 10 });
      await kv.put("demo", JSON.stringify({ name: "gbt", version: 3, modelId: "gbt-v3", deployedAtNs: "1767225600000000000" }));
      const server = await startOpsServer({
        port: 0,
        metrics: new TickflowMetrics(),
        feed: new LiveFeed(),
        status: () => ({
          state: "running",
          counters: { inputs: 1234, deadLetters: 2 },
          lagSeconds: 1.5,
          models: { nodes: { scored: "gbt-v3" }, lastProblem: { revision: 4, reason: "features differ" } },
        }),
        readiness: [],
      });
      writeProcessFile(dir, { runId: "live-demo", pipeline: "demo", pid: process.pid, url: server.url, startedAt: "2026-01-01T00:00:00.000Z" });
      writeProcessFile(dir, { runId: "live-gone", pipeline: "demo", pid: 2 ** 22 + 12345, url: null, startedAt: "2026-01-01T00:00:00.000Z" });
      const db = await Database.open(join(dir, "rec.duckdb"));
      try {
        await startRunRecord(db, { runId: "live-demo", pipeline: "demo", mode: "live", startedAt: 1_767_225_600_000_000_000n });
        const r = await collectStatus({ nc, natsUrl: url, dataDir: dir, recording: () => recordingStatus(db, "rec.duckdb") });
        expect(r.nats.server).toMatch(/^2\./);
        expect(r.streams.find((s) => s.name === "MARKET")).toMatchObject({ messages: 5, consumers: 1, subjects: ["md.>"] });
        expect(r.consumers).toEqual([
          expect.objectContaining({ stream: "MARKET", name: "live-demo_trades_0", filter: "md.trades.>", pending: 5, ackPending: 0, redelivered: 0 }),
        ]);
        expect(r.models).toEqual([{ pipeline: "demo", name: "gbt", version: 3, modelId: "gbt-v3", deployedAt: "2026-01-01T00:00:00.000Z" }]);
        const [alive, gone] = r.pipelines;
        expect(alive).toMatchObject({ runId: "live-demo", alive: true, ready: true, state: "running", inputs: 1234, deadLetters: 2, lagSeconds: 1.5 });
        expect(alive!.problem).toBeUndefined();
        // What it serves, for `tickflow models`.
        expect(alive!.models).toEqual({ nodes: { scored: "gbt-v3" }, lastProblem: { revision: 4, reason: "features differ" } });
        expect(gone).toMatchObject({ runId: "live-gone", alive: false, problem: expect.stringMatching(/is gone/) });
        expect(r.recording.runs).toEqual([expect.objectContaining({ runId: "live-demo", status: "running", mode: "live" })]);
        expect(needsALook(r)).toBe(true);
        const screen = statusLines(r).join("\n");
        expect(screen).toMatch(/MARKET\s+md\.>\s+5\s/);
        expect(screen).toMatch(/MARKET\/live-demo_trades_0\s+md\.trades\.>\s+5\s+0\s+0/);
        expect(screen).toContain("live-demo (demo)  pid");
        expect(screen).toMatch(/ready running {2}inputs 1,234 {2}dead letters 2 {2}lag 1\.5 s/);
        expect(screen).toContain("live-gone (demo)");
        expect(screen).toMatch(/GONE/);
        expect(screen).toMatch(/demo\s+gbt v3\s+gbt-v3/);
      } finally {
        await server.close();
        await db.close();
        cleanup();
      }
    });
  });

  it("says when NATS does not answer, and needs a look", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await collectStatus({
        natsUrl: "nats://127.0.0.1:1",
        natsError: "connection refused",
        dataDir: dir,
        recording: async () => ({ path: "x", unavailable: "no recording yet" }),
      });
      expect(r.streams).toEqual([]);
      expect(needsALook(r)).toBe(true);
      expect(statusLines(r)[0]).toBe("NATS nats://127.0.0.1:1: connection refused");
    } finally {
      cleanup();
    }
  });
});
