// End to end on real parts: simulated feed → JetStream → live pipeline → signals on NATS and in DuckDB;
// then replay of the recording, twice: same digest as each other and as the live run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { replay } from "../../replay/replay.ts";
import { recordedRun } from "../../replay/runs.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { SignalMessage, type Signal } from "../../schemas/index.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const PIPELINE = join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml");
const COUNT = 30_000;

describe("live run and replay (real nats-server, real DuckDB)", () => {
  let nats: NatsFixture;
  let db: Database;
  let cleanup: () => void;
  const received: Signal[] = [];
  let live: Awaited<ReturnType<LiveRun["stop"]>>;

  beforeAll(async () => {
    nats = await startNats();
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
    // A plain NATS subscriber, as any service in any language would be.
    const sub = nats.nc.subscribe("signals.>");
    void (async () => {
      for await (const m of sub) received.push(SignalMessage.decodeBytes(m.data, m.subject));
    })();
    const published = await publishSimulatedFeed(nats.nc, {
      symbols: ["AAPL", "MSFT", "NVDA"],
      seed: 3,
      startNs: DEFAULT_SIM_START_NS,
      count: COUNT,
      tradesPerSecond: 2,
      newsEverySeconds: 120,
    });
    expect(published).toEqual({ published: COUNT, duplicates: 0 });
    const run = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc: nats.nc, db, runId: "live-1", print: () => {} });
    await run.start();
    await run.waitFor(() => run.run.counters.inputs >= COUNT, 60_000);
    live = await run.stop();
    await nats.nc.flush();
    for (let i = 0; i < 100 && received.length < live.counters.outputs.signals!; i++) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    await db?.close();
    await stopNats(nats);
    cleanup?.();
  });

  it("consumed every message, emitted signals with reasons and inputs, and a plain subscriber got them all", () => {
    expect(live.counters.inputs).toBe(COUNT);
    expect(live.counters.deadLetters).toBe(0);
    const n = live.counters.outputs.signals!;
    expect(n).toBeGreaterThan(5);
    expect(received).toHaveLength(n);
    for (const s of received) {
      expect(["buy", "sell", "flat"]).toContain(s.action);
      expect(s.reason).toMatch(/emaFast .* emaSlow/);
      expect(Object.keys(s.inputs)).toEqual(expect.arrayContaining(["emaFast", "emaSlow", "rsi", "sentiment", "close"]));
      expect(s.id).toBe(`momentum-sentiment:signals:${s.symbol}:${s.tsEvent}`);
    }
  });

  it("recorded every input once, with full-precision timestamps and stream sequences", async () => {
    const [t] = await db.query<{ n: bigint; seqs: bigint; frac: bigint }>(
      "SELECT count(*) n, count(DISTINCT stream_seq) seqs, count(*) FILTER (WHERE epoch_ns(ts_event) % 1000 <> 0) frac FROM trades",
    );
    const [news] = await db.query<{ n: bigint }>("SELECT count(*) n FROM news");
    expect(Number(t!.n + news!.n)).toBe(COUNT);
    expect(t!.seqs).toBe(t!.n);
    expect(t!.frac).toBeGreaterThan(0n); // sub-microsecond digits survive (TIMESTAMP_NS)
  });

  it("replays twice to the same digest, which is the live run's digest, with the same signals", async () => {
    // The live run was stopped, so it is open: its open bars wait in its checkpoint. A replay of every recorded input
    // ends where it stands to compare (a flushed replay would also close those bars).
    const openAt = (await recordedRun(db, "live-1"))!.openAt;
    expect(openAt).toBeDefined();
    const a = await replay({ pipeline: await loadPipeline(PIPELINE), db, runId: "replay-a", openAt });
    const b = await replay({ pipeline: await loadPipeline(PIPELINE), db, runId: "replay-b", batchSize: 777, openAt });
    expect(a.digest).toBe(b.digest);
    expect(a.digest).toBe(live.digest);
    expect(a.counters.outputs).toEqual(live.counters.outputs);
    const diff = await db.query<{ n: bigint }>(`
      SELECT count(*) n FROM (
        (SELECT id, action, strength, reason, inputs FROM signals WHERE run_id = 'live-1' EXCEPT SELECT id, action, strength, reason, inputs FROM signals WHERE run_id = 'replay-a')
        UNION ALL
        (SELECT id, action, strength, reason, inputs FROM signals WHERE run_id = 'replay-a' EXCEPT SELECT id, action, strength, reason, inputs FROM signals WHERE run_id = 'live-1'))`);
    expect(diff[0]!.n).toBe(0n);
    const runs = await db.query<{ run_id: string; mode: string; digest: string }>("SELECT run_id, mode, digest FROM runs ORDER BY run_id");
    expect(runs.map((r) => [r.run_id, r.mode, r.digest])).toEqual([
      ["live-1", "live", live.digest],
      ["replay-a", "replay", a.digest],
      ["replay-b", "replay", a.digest],
    ]);
  });
});
