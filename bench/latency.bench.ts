// Latency from the trade that closes a bar to that bar's signal arriving on NATS, at 1k, 10k and 50k trades/s
// offered (p50, p99, max), beside the bare NATS publish → receive latency of a trade at the same rate.
//
// How it is measured. Per rate, a fresh nats-server (startTempNatsServer) and DuckDB file, and a LiveRun of the
// pipeline below (trades → 1 s bars → EMA/RSI → momentumRule emitting on every bar → signed signals on NATS and in
// DuckDB, checkpointed per batch: what `tickflow run` does). Two worker threads (bench/latencyPublisher.ts), each
// with its own NATS connection, keep the measuring off the pipeline's event loop:
// - the publisher sends trades on md.trades.<SYMBOL>, round-robin over 10 symbols, as JetStream publishes (a
//   Nats-Msg-Id header and a reply inbox for the PubAck), paced to the rate on a 1 ms timer. A trade's event time is
//   its send time (process.hrtime: one monotonic clock for every thread of the process), run TIME_SCALE times faster
//   than the wall clock, so that a 1 s bar closes every 50 ms (20 closes/s instead of 1: enough for a p99). With one
//   source and sequencing.maxDelay 0 the watermark is the newest trade's event time, so the message that closes a
//   bar is the first trade whose event time reaches the bar's end; the publisher notes its send time.
// - the probe, a plain core subscription on signals.>, notes when each signal arrives and which bar it is for
//   (symbol, and tsEvent = the bar's end).
// Latency = arrival of the signal − send time of the trade that closed its bar, one sample per bar (10 symbols per
// close). The first WARMUP_SECONDS are not counted. After the feed the run is given up to DRAIN_SECONDS to process
// what was published; a signal still missing then counts as arriving then (a lower bound, said in the note).
// Baseline: after the run stopped, the same publisher at the same rate on the same server, and the probe on a core
// subscription of md.trades.>: one hop through NATS (publish → receive), what any NATS consumer pays at least.
// TICKFLOW_BENCH_LATENCY_SECONDS sets the measured seconds per rate (default 15; the whole bench takes ~1.5 min).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { connect } from "@nats-io/transport-node";
import type { BenchRow } from "./types.ts";
import type { LatencyClock, PublishJob, PublishResult, ReceiveJob, ReceiveResult } from "./latencyPublisher.ts";
import { Database } from "../io/duckdb/database.ts";
import { parsePipeline } from "../app/loadPipeline.ts";
import { startTempNatsServer } from "../io/nats/natsServer.ts";
import { ensureStreams } from "../io/nats/streams.ts";
import { LiveRun } from "../app/liveRun.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";

const SECONDS = Number(process.env.TICKFLOW_BENCH_LATENCY_SECONDS ?? 15);
const WARMUP_SECONDS = 2;
const BASELINE_SECONDS = Math.min(5, SECONDS);
/** How long a run that fell behind may take to process the rest of the feed before what is missing is given up. */
const DRAIN_SECONDS = 10;
const RATES = [1_000, 10_000, 50_000];
const SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOGL", "JPM", "XOM", "KO"];
const TIME_SCALE = 20;
const BAR_NS = 1_000_000_000;

// A rule that signals on every bar (emit: every: buy, sell or flat once the indicators are warm, after 3 bars), so every
// close is a sample.
const PIPELINE = `
name: bench-latency
description: trades → 1 s bars → EMA(2/3), RSI(2) → a signal on every bar, published and recorded.
sources:
  trades: { type: trade, subjects: ["md.trades.>"] }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1s } }
  indicators:
    op: indicators
    in: bars
    params: { set: [{ id: emaFast, name: ema, period: 2 }, { id: emaSlow, name: ema, period: 3 }, { id: rsi, name: rsi, period: 2 }] }
  signals:
    op: momentumRule
    in: indicators
    params: { fast: emaFast, slow: emaSlow, rsi: rsi, overbought: 70, oversold: 30, sentimentGate: 0.3, emit: every }
sinks:
  - { type: nats, in: signals }
  - { type: duckdb, in: signals }
`;

/** Signals are published signed (docs/signing.md): a throwaway key, as a local setup's. */
const KEYRING = { currentId: "bench", keys: new Map([["bench", Buffer.alloc(32, 7)]]) };

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-latency-"));
  const clock: LatencyClock = { origin: process.hrtime.bigint(), epochNs: BigInt(Date.now()) * 1_000_000n, timeScale: TIME_SCALE };
  const rows: BenchRow[] = [];
  try {
    for (const rate of RATES) rows.push(...(await measureRate(rate, clock, dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function measureRate(rate: number, clock: LatencyClock, dir: string): Promise<BenchRow[]> {
  const server = await startTempNatsServer();
  const nc = await connect({ servers: server.url });
  const db = await Database.open(join(dir, `latency-${rate}.duckdb`));
  const endpoint = { ...clock, url: server.url, barNs: BAR_NS };
  try {
    await ensureStreams(nc);
    const pipeline = parsePipeline(PIPELINE, "bench-latency.yaml");
    const live = new LiveRun({ pipeline, nc, db, runId: `bench-latency-${rate}`, print: () => {}, keyring: KEYRING });
    await live.start();
    const probe = await startProbe({ ...endpoint, role: "receive", what: "signals", fromNs: 0 });
    const fromNs = sinceOrigin(clock) + WARMUP_SECONDS * 1e9;
    const feed = await runPublisher({ ...endpoint, role: "publish", symbols: SYMBOLS, rate, seconds: WARMUP_SECONDS + SECONDS });
    const feedEnd = sinceOrigin(clock);
    const drained = await live
      .waitFor(() => live.run.counters.inputs >= feed.acked, DRAIN_SECONDS * 1000)
      .then(
        () => true,
        () => false,
      );
    if (live.failed) throw live.failed;
    const drainSeconds = (sinceOrigin(clock) - feedEnd) / 1e9;
    await sleep(300); // the last signals on their way to the probe
    const stopNs = sinceOrigin(clock);
    const got = await probe.stop();
    const inputs = live.run.counters.inputs;
    await live.stop();

    const baseProbe = await startProbe({ ...endpoint, role: "receive", what: "trades", fromNs: sinceOrigin(clock) + 1e9 });
    const baseFeed = await runPublisher({ ...endpoint, role: "publish", symbols: SYMBOLS, rate, seconds: 1 + BASELINE_SECONDS });
    await sleep(300);
    const base = await baseProbe.stop();

    const m = signalLatencies(feed.closers, got.signals, fromNs, stopNs);
    const b = quantiles(base.latenciesMs);
    const s = quantiles(m.latenciesMs);
    const label = `${rate / 1000}k trades/s`;
    const achieved = (feed.acked / feed.seconds).toFixed(0);
    const kept = drained
      ? drainSeconds > 1
        ? `fell behind: done ${drainSeconds.toFixed(1)} s after the feed stopped`
        : "kept up"
      : `fell behind: ${feed.acked - inputs} trades unprocessed ${DRAIN_SECONDS} s after the feed stopped`;
    const note =
      `offered ${rate}/s, published ${achieved}/s (${feed.acked} acked${feed.failed ? `, ${feed.failed} failed` : ""}); run ${kept}; ` +
      `${m.bars} bars (${m.closes} closes × ${SYMBOLS.length} symbols) in ${SECONDS} s` +
      (m.missing > 0 ? `, ${m.missing} signals not arrived after the drain, counted at that time (lower bounds)` : "");
    const baseName = (q: string) =>
      `NATS publish→receive, no processing (${q}, ${base.latenciesMs.length} trades, ${(baseFeed.acked / baseFeed.seconds).toFixed(0)}/s)`;
    const row = (q: "p50" | "p99" | "max", value: number, baseline: number, withNote: boolean): BenchRow => ({
      group: "latency",
      name: `bar close → signal on NATS, ${q} @ ${label}`,
      value,
      unit: "ms",
      better: "lower",
      baseline: { name: baseName(q), value: baseline },
      ...(withNote ? { note } : {}),
    });
    return [row("p50", s.p50, b.p50, true), row("p99", s.p99, b.p99, false), row("max", s.max, b.max, false)];
  } finally {
    await db.close();
    await nc.drain().catch(() => undefined);
    await server.stop();
  }
}

/**
 * One latency per bar closed after `fromNs` (ms): its signal's arrival − the send time of the trade that closed it. A
 * signal that had not arrived when the probe stopped (`stopNs`) counts as arriving then: a lower bound, so a run that
 * fell behind shows in p99 and max rather than dropping out of them.
 */
function signalLatencies(
  closers: Float64Array,
  signals: Float64Array,
  fromNs: number,
  stopNs: number,
): { latenciesMs: Float64Array; closes: number; bars: number; missing: number } {
  const closeBar: number[] = [];
  const sent: number[] = [];
  const closed: number[] = [];
  for (let i = 0; i < closers.length; i += 3) {
    closeBar.push(closers[i]!);
    sent.push(closers[i + 1]!);
    closed.push(closers[i + 2]!);
  }
  /** The closing trade of the bar ending at `end` × barNs: the first whose bar index reaches it. */
  const closerOf = (end: number): number => {
    let lo = 0;
    let hi = closeBar.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (closeBar[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const arrived = new Array<number>(closeBar.length).fill(0);
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i < signals.length; i += 3) {
    const end = signals[i]!;
    const key = `${end}:${signals[i + 1]}`;
    if (seen.has(key)) continue; // a resent signal (outbox after a restart): its first arrival counts
    seen.add(key);
    const c = closerOf(end);
    if (c >= closeBar.length || sent[c]! < fromNs) continue;
    arrived[c]!++;
    out.push((signals[i + 2]! - sent[c]!) / 1e6);
  }
  let closes = 0;
  let bars = 0;
  let missing = 0;
  for (let c = 0; c < closeBar.length; c++) {
    if (sent[c]! < fromNs) continue;
    closes++;
    bars += closed[c]!;
    for (let k = arrived[c]!; k < closed[c]!; k++, missing++) out.push((stopNs - sent[c]!) / 1e6);
  }
  return { latenciesMs: Float64Array.from(out), closes, bars, missing };
}

function quantiles(xs: Float64Array): { p50: number; p99: number; max: number } {
  if (xs.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p99: q(0.99), max: s[s.length - 1]! };
}

const sinceOrigin = (clock: LatencyClock): number => Number(process.hrtime.bigint() - clock.origin);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The compiled worker beside this module (benches run from dist/; from the sources, dist/ must be built). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith(".ts") ? join(PACKAGE_ROOT, "dist", "bench", "latencyPublisher.js") : join(dirname(here), "latencyPublisher.js");
}

type WorkerReply<T> = { result: T } | { error: string } | { ready: true };

function runPublisher(job: PublishJob): Promise<PublishResult> {
  const w = new Worker(workerFile(), { workerData: job });
  return new Promise((resolve, reject) => {
    w.once("error", reject);
    w.on("message", (m: WorkerReply<PublishResult>) => {
      if ("result" in m) resolve(m.result);
      else if ("error" in m) reject(new Error(`latency publisher: ${m.error}`));
    });
  }).finally(() => void w.terminate()) as Promise<PublishResult>;
}

/** Starts the probe; resolves once it is subscribed. `stop()` ends it and returns what it saw. */
async function startProbe(job: ReceiveJob): Promise<{ stop(): Promise<ReceiveResult> }> {
  const w = new Worker(workerFile(), { workerData: job });
  let onResult: (r: ReceiveResult) => void = () => {};
  let onError: (e: Error) => void = () => {};
  const result = new Promise<ReceiveResult>((resolve, reject) => {
    onResult = resolve;
    onError = reject;
  });
  result.catch(() => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    w.once("error", (e) => {
      reject(e);
      onError(e);
    });
    w.on("message", (m: WorkerReply<ReceiveResult>) => {
      if ("ready" in m) resolve();
      else if ("result" in m) onResult(m.result);
      else {
        const e = new Error(`latency probe: ${m.error}`);
        reject(e);
        onError(e);
      }
    });
  });
  await ready;
  return {
    stop: async () => {
      w.postMessage("stop");
      try {
        return await result;
      } finally {
        await w.terminate();
      }
    },
  };
}
