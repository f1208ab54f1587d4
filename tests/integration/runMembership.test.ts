// Live = replay on a database holding several runs: each live run records which inputs it processed (run_inputs),
// so `replay --run ID` replays exactly that run's inputs to its digest; a trade whose id was already processed is
// a duplicate in live as in the recording (the first one counts), so it cannot make the digests differ.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { replay } from "../../replay/replay.ts";
import { recordedRun } from "../../replay/runs.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { TradeMessage, type Trade } from "../../schemas/index.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const PIPELINE = join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml");
const COUNT = 3_000;
const DAY = 86_400_000_000_000n;

describe("run membership and duplicate ids (real nats-server, real DuckDB)", () => {
  let nats: NatsFixture;
  let db: Database;
  let tmp: { dir: string; cleanup: () => void };
  let a: RunSummary;
  let b: RunSummary;
  let duplicate: Trade;
  let original: Trade;

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
    const pipeline = await loadPipeline(PIPELINE);

    // Session A: AAPL, plus one more trade that reuses an id already sent (another message, another price).
    await publishSimulatedFeed(nats.nc, { symbols: ["AAPL"], seed: 1, startNs: DEFAULT_SIM_START_NS, count: COUNT });
    const sent = [...take(simulate({ symbols: ["AAPL"], seed: 1, startNs: DEFAULT_SIM_START_NS }), COUNT)];
    const trades = sent.filter((m) => m.kind === "trade").map((m) => m.msg as Trade);
    const last = sent.at(-1)!.msg.tsEvent;
    original = trades[10]!;
    duplicate = { ...original, tsEvent: last + 1_000_000n, price: trades[10]!.price * 1.5 };
    await jetstream(nats.nc).publish(`md.trades.AAPL`, TradeMessage.encodeBytes(duplicate), { msgID: "another-message-same-trade-id" });
    const runA = new LiveRun({ pipeline, nc: nats.nc, db, runId: "a", consumerPrefix: "a", print: () => undefined });
    await runA.start();
    await runA.waitFor(() => runA.run.counters.inputs + runA.run.counters.duplicates >= COUNT + 1);
    a = await runA.stop();

    // Session B, a day later, MSFT only, consumers that start at new messages.
    const runB = new LiveRun({ pipeline, nc: nats.nc, db, runId: "b", consumerPrefix: "b", deliver: "new", print: () => undefined });
    await runB.start();
    await publishSimulatedFeed(nats.nc, { symbols: ["MSFT"], seed: 2, startNs: DEFAULT_SIM_START_NS + DAY, count: COUNT });
    await runB.waitFor(() => runB.run.counters.inputs >= COUNT);
    b = await runB.stop();
  }, 90_000);

  afterAll(async () => {
    await db?.close();
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("live dedupes a second message with a processed trade id, as the recording does", async () => {
    expect(a.counters.inputs).toBe(COUNT);
    expect(a.counters.duplicates).toBe(1);
    const letters = await db.query<{ stage: string; reason: string }>("SELECT stage, reason FROM dead_letters WHERE run_id = 'a'");
    expect(letters).toEqual([{ stage: "duplicate", reason: expect.stringMatching(new RegExp(`^trade id ${duplicate.id} was already processed`)) }]);
    const recorded = await db.query<{ price: number }>(`SELECT price FROM trades WHERE id = '${duplicate.id}'`);
    expect(recorded).toEqual([{ price: original.price }]); // the first one, not the duplicate's 1.5x price
  });

  it("replay --run gives each run's live digest on a database holding both", async () => {
    expect((await recordedRun(db, "a"))!.inputs).toBe(COUNT);
    const pipeline = await loadPipeline(PIPELINE);
    const ra = await replay({ pipeline, db, runId: "replay-a", range: { runId: "a" } });
    const rb = await replay({ pipeline, db, runId: "replay-b", range: { runId: "b" }, batchSize: 333 });
    expect(ra.counters.inputs).toBe(COUNT);
    expect(ra.digest).toBe(a.digest);
    expect(rb.counters.inputs).toBe(COUNT);
    expect(rb.digest).toBe(b.digest);
    // Without --run the replay reads both sessions: another run altogether.
    const all = await replay({ pipeline, db, runId: "replay-all", record: false });
    expect(all.counters.inputs).toBe(2 * COUNT);
    expect(all.digest).not.toBe(a.digest);
  });
});

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n === 0) return;
  }
}
