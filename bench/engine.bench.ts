// Engine figures: DuckDB sink rows/s, replay events/s of the reference pipeline over 1M+ simulated trades
// (two batch sizes side by side), JetStream ingest msgs/s and live pipeline throughput, and peak RSS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { BenchRow } from "./types.ts";
import { Database } from "../io/duckdb/database.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { simulate, DEFAULT_SIM_START_NS } from "../sources/simulator.ts";
import { NewsMessage, TradeMessage } from "../schemas/index.ts";
import { loadPipeline } from "../app/loadPipeline.ts";
import { replay } from "../replay/replay.ts";
import { startTempNatsServer } from "../io/nats/natsServer.ts";
import { ensureStreams } from "../io/nats/streams.ts";
import { publishSimulatedFeed, simulatedBatch } from "../sources/simulatedFeed.ts";
import { LiveRun } from "../app/liveRun.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { spawnSync } from "node:child_process";
import { runPeer } from "./peer/momentumPeer.ts";

const REPLAY_EVENTS = Number(process.env.TICKFLOW_BENCH_EVENTS ?? 1_200_000);
const NATS_MESSAGES = Number(process.env.TICKFLOW_BENCH_NATS ?? 100_000);
const SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOGL", "JPM", "XOM", "KO"];
const pipelineFile = join(PACKAGE_ROOT, "pipelines", "momentum-sentiment.yaml");
const mib = (kib: number) => kib / 1024;

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-"));
  try {
    rows.push(...(await duckdbAndReplay(join(dir, "bench.duckdb"))));
    rows.push(...(await natsIngest(join(dir, "live.duckdb"))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push({ group: "engine", name: "peak RSS of the bench process so far", value: mib(process.resourceUsage().maxRSS), unit: "MiB" });
  return rows;
}

async function duckdbAndReplay(path: string): Promise<BenchRow[]> {
  const db = await Database.open(path);
  const sink = new DuckDbRecorder(db);
  await sink.ensureRecording([TradeMessage, NewsMessage]);
  // Record a simulated feed the way a live run records its inputs (batches with subject + stream seq).
  const gen = simulate({ symbols: SYMBOLS, seed: 1, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 50 });
  let writeMs = 0;
  let written = 0;
  while (written < REPLAY_EVENTS) {
    const b = simulatedBatch(gen, Math.min(100_000, REPLAY_EVENTS - written), BigInt(written + 1));
    written += b.taken;
    const t0 = performance.now();
    await sink.writeInputs(TradeMessage, b.trades, b.tradeOrigins);
    await sink.writeInputs(NewsMessage, b.news, b.newsOrigins);
    writeMs += performance.now() - t0;
  }
  const rows: BenchRow[] = [
    {
      group: "engine",
      name: "DuckDB sink: record inputs (ids checked within the batch's time spans, appender)",
      value: (written / writeMs) * 1000,
      unit: "rows/s",
      note: `${written} rows`,
    },
  ];
  for (const batchSize of [256, 8192]) {
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const t0 = performance.now();
    const s = await replay({
      pipeline: await loadPipeline(pipelineFile),
      db,
      runId: `bench-${batchSize}`,
      batchSize,
      onProgress: () => {
        const r = process.memoryUsage.rss();
        if (r > peak) peak = r;
      },
    });
    const secs = (performance.now() - t0) / 1000;
    rows.push({
      group: "engine",
      name: `replay momentum-sentiment, batch ${batchSize}`,
      value: s.counters.inputs / secs,
      unit: "events/s",
      note: `${s.counters.inputs} events, ${s.counters.outputs.signals} signals, RSS +${Math.round((peak - rss0) / 2 ** 20)} MiB`,
    });
  }
  // DuckDB's own pace on the same rows: one ordered query over the trades and news the replay reads, every chunk
  // fetched and nothing decoded (what a replay could at most keep up with, reading in one pass).
  const scanT0 = performance.now();
  let scanned = 0;
  for (const table of ["trades", "news"]) {
    const cur = await db.cursor(`SELECT * FROM ${table} ORDER BY ts_event, stream_seq`);
    for (let c = await cur.next(); c; c = await cur.next()) scanned += c.rowCount;
  }
  const scanRate = scanned / ((performance.now() - scanT0) / 1000);
  await db.close();
  // The yardstick: the obvious RxJS + technicalindicators implementation (bench/peer/), one emission per event.
  const peer = await runPeer(path);
  const peerRate = (peer.trades + peer.news) / peer.seconds;
  const peerName = `obvious RxJS + technicalindicators peer (bench/peer/), in-process, ${peer.signals} signals`;
  const replayRows = rows.filter((r) => r.name.startsWith("replay momentum-sentiment"));
  for (const r of replayRows) r.baseline = { name: peerName, value: peerRate };
  for (const r of replayRows) {
    rows.push({
      group: "engine",
      name: `${r.name}, beside DuckDB's ordered scan`,
      value: r.value,
      unit: "events/s",
      baseline: { name: "DuckDB alone: SELECT * … ORDER BY ts_event, stream_seq of the same trades and news, every chunk fetched", value: scanRate },
    });
  }
  // Whole processes, start-up included: `tickflow replay` against `node dist/bench/peer/main.js` on the same file.
  const env = { ...process.env, TICKFLOW_DB: path, CI: "true" };
  const wall = (args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { env, encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return (performance.now() - t0) / 1000;
  };
  const tf = wall([join(PACKAGE_ROOT, "bin", "tickflow.js"), "replay", pipelineFile, "--no-record"]);
  const pe = wall([join(PACKAGE_ROOT, "dist", "bench", "peer", "main.js"), path]);
  rows.push({
    group: "engine",
    name: "replay momentum-sentiment, whole process (tickflow replay --no-record)",
    value: tf,
    unit: "s",
    better: "lower",
    baseline: { name: "node dist/bench/peer/main.js, whole process", value: pe },
    note: `${peer.trades + peer.news} events`,
  });
  return rows;
}

async function natsIngest(dbPath: string): Promise<BenchRow[]> {
  const server = await startTempNatsServer();
  const nc = await connect({ servers: server.url });
  const db = await Database.open(dbPath);
  try {
    await ensureStreams(nc);
    const t0 = performance.now();
    const { published: n } = await publishSimulatedFeed(nc, {
      symbols: SYMBOLS,
      seed: 2,
      startNs: DEFAULT_SIM_START_NS,
      count: NATS_MESSAGES,
      tradesPerSecond: 5,
    });
    const pubSecs = (performance.now() - t0) / 1000;
    const raw = await rawOrderedConsume(nc, n);
    // Signals are published signed (docs/signing.md): a throwaway key, as a local setup's.
    const keyring = { currentId: "bench", keys: new Map([["bench", Buffer.alloc(32, 7)]]) };
    const live = new LiveRun({ pipeline: await loadPipeline(pipelineFile), nc, db, runId: "bench-live", print: () => {}, keyring });
    const t1 = performance.now();
    await live.start();
    await live.waitFor(() => live.run.counters.inputs >= n, 600_000);
    const liveSecs = (performance.now() - t1) / 1000;
    await live.stop();
    return [
      { group: "engine", name: "JetStream ingest: publish with msg id, acked", value: n / pubSecs, unit: "msgs/s", note: `${n} msgs, 512 in flight` },
      {
        group: "engine",
        name: "live run: consume → sequence → pipeline → record → ack",
        value: n / liveSecs,
        unit: "msgs/s",
        baseline: { name: "raw nats.js ordered consumers (MARKET, NEWS) + JSON.parse, no processing", value: n / raw },
        note: `${n} msgs from the stream`,
      },
    ];
  } finally {
    await db.close();
    await nc.drain().catch(() => undefined);
    await server.stop();
  }
}

/** Seconds for plain ordered consumers to read `n` messages of the MARKET and NEWS streams and JSON.parse each. */
async function rawOrderedConsume(nc: NatsConnection, n: number): Promise<number> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const t0 = performance.now();
  let seen = 0;
  let bytes = 0;
  await Promise.all(
    ["MARKET", "NEWS"].map(async (stream) => {
      const total = (await jsm.streams.info(stream)).state.messages;
      const c = await js.consumers.get(stream);
      if (total === 0) return;
      const it = await c.consume({ max_messages: 2000 });
      let got = 0;
      for await (const m of it) {
        bytes += (JSON.parse(m.string()) as { v: number }).v;
        seen++;
        if (++got >= total) break;
      }
    }),
  );
  if (seen !== n || bytes !== n) throw new Error(`raw consumer bench read ${seen} of ${n} messages`);
  return (performance.now() - t0) / 1000;
}
