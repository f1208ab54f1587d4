// The RxJS baseline of the bench (bench/peer/momentumPeer.ts) does the pipeline's work: it reads every recorded
// trade and news item, builds one bar per symbol-minute with a trade, emits signals, and is deterministic. Also
// its "emit on change only" rule on a hand-made feed.
import { join } from "node:path";
import { from, lastValueFrom, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { momentumSignals, runPeer } from "../../bench/peer/momentumPeer.ts";
import { Database } from "../../io/duckdb/database.ts";
import { NewsMessage, TradeMessage } from "../../schemas/index.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { simulatedBatch } from "../../sources/simulatedFeed.ts";
import { tempDir } from "../helpers/duckdb.ts";

const EVENTS = 20_000;
const { dir, cleanup } = tempDir("tickflow-peer-");
const dbPath = join(dir, "peer.duckdb");
let expected: { trades: number; news: number; bars: number };

async function recordSimulatedFeed(path: string): Promise<typeof expected> {
  const db = await Database.open(path);
  try {
    const sink = new DuckDbRecorder(db);
    await sink.ensureRecording([TradeMessage, NewsMessage]);
    // 2 trades/s over 3 symbols: ~10,000 s of event time (~165 bars per symbol, past the EMA(26) warm-up), news ~1/min.
    const gen = simulate({ symbols: ["AAPL", "MSFT", "XYZ"], seed: 7, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 2, newsEverySeconds: 60 });
    const b = simulatedBatch(gen, EVENTS);
    await sink.writeInputs(TradeMessage, b.trades, b.tradeOrigins);
    await sink.writeInputs(NewsMessage, b.news, b.newsOrigins);
    const [row] = await db.query<{ trades: bigint; news: bigint; bars: bigint }>(
      `SELECT (SELECT count(*) FROM trades) AS trades, (SELECT count(*) FROM news) AS news,
        (SELECT count(DISTINCT (symbol, time_bucket(INTERVAL 1 minute, ts_event))) FROM trades) AS bars`,
    );
    return { trades: Number(row!.trades), news: Number(row!.news), bars: Number(row!.bars) };
  } finally {
    await db.close();
  }
}

describe("momentum peer (bench baseline)", () => {
  beforeAll(async () => {
    expected = await recordSimulatedFeed(dbPath);
  });
  afterAll(() => cleanup());

  it("reads every event, builds one bar per symbol-minute and emits signals, deterministically", async () => {
    const first = await runPeer(dbPath);
    expect(first.trades).toBe(expected.trades);
    expect(first.news).toBe(expected.news);
    expect(first.trades + first.news).toBe(EVENTS);
    expect(first.bars).toBe(expected.bars);
    expect(first.signals).toBeGreaterThan(0);
    expect(first.seconds).toBeGreaterThan(0);
    const second = await runPeer(dbPath);
    expect({ ...second, seconds: 0 }).toEqual({ ...first, seconds: 0 });
  });

  it("emits only when a symbol's action changes, and not a first flat", async () => {
    // One trade per minute: a rise (buy), a long flat stretch at the top (rsi stays high: flat), then a fall (sell).
    const closes = [...Array.from({ length: 40 }, (_, i) => 100 + i), ...Array.from({ length: 40 }, (_, i) => 139 - i)];
    const events = closes.map((price, i) => ({ kind: "trade" as const, ms: i * 60_000, symbol: "AAA", price, size: 1 }));
    const signals = await lastValueFrom(momentumSignals(from(events)).pipe(toArray()));
    const actions = signals.map((s) => s.action);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions[0]).not.toBe("flat");
    for (let i = 1; i < actions.length; i++) expect(actions[i]).not.toBe(actions[i - 1]);
    expect(actions).toContain("sell");
  });
});
