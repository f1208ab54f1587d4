// The conformance harness of every built-in source: the real thing it reads (a nats-server with the tickflow streams,
// a WebSocket exchange on 127.0.0.1, a file), the inputs to feed it, and its redelivery and reconnect scenarios.
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { expect } from "vitest";
import type { LocalNatsServer } from "../../io/nats/natsServer.ts";
import { startNats } from "../helpers/nats.ts";
import { Services } from "../../runtime/connectors.ts";
import type { InputBatch, InputPort, Timed } from "../../runtime/ports.ts";
import { publishSubject, subjectMatches } from "../../schemas/kinds.ts";
import { NewsMessage } from "../../schemas/news.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { NATS } from "../../sinks/outputSinks.ts";
import { parseBinanceFrame } from "../../sources/exchange/binanceTrades.ts";
import { JETSTREAM_CONSUMERS, JetStreamInput } from "../../sources/jetstreamInput.ts";
import { WebSocketTradeInput } from "../../sources/websocketTradeInput.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { BatchReader, idOf, openSource, until, within, type Scenario, type SourceHarness, type SourceTarget } from "./harness.ts";

/** 2024-01-02T14:30:00Z: the inputs' event times count from here. */
const T0_MS = 1704205800000;
const NS_PER_MS = 1_000_000n;

/**
 * Sequencing for inputs that are all there before the port opens: no out-of-orderness to allow for. idleAfter is
 * generous so that a busy machine (2 cores, other suites running) stalling one lane does not make the next late.
 */
const PREFED = "sequencing: { maxDelay: 0s, idleAfter: 300ms }";
/**
 * Sequencing for inputs published while the port reads: two JetStream consumers deliver independently, so a lane
 * can be a few ms behind the other; maxDelay covers that, and a quiet idleAfter releases the rest.
 */
const LIVE_FEED = "sequencing: { maxDelay: 1s, idleAfter: 300ms }";

/** The batches that were committed: all but those at `uncommitted` indexes. */
const except = (batches: readonly InputBatch[], uncommitted: ReadonlySet<number>): InputBatch[] => batches.filter((_b, i) => !uncommitted.has(i));
const idsOf = (batches: readonly InputBatch[]): string[] => batches.flatMap((b) => b.items.map(idOf));

// --- jetstream: two trade sources on a real nats-server --------------------------------------------------------

interface JetStreamTarget extends SourceTarget {
  readonly server: LocalNatsServer;
  readonly nc: NatsConnection;
}

function jetstreamTrade(i: number): Trade {
  const symbol = i % 2 === 0 ? "AAPL" : "MSFT";
  return TradeMessage.create({
    id: `conformance:${symbol}:${i}`,
    symbol,
    tsEvent: BigInt(T0_MS + i) * NS_PER_MS,
    price: 100 + (i % 7),
    size: 1 + (i % 3),
    side: i % 3 === 0 ? "sell" : "buy",
  });
}

async function startJetStreamTarget(sequencing = PREFED): Promise<JetStreamTarget> {
  // Reconnect attempts every 100 ms, without limit: the reconnect scenario restarts the server under it.
  const { server, nc: conn } = await startNats({ reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  const publisher = new JetStreamPublisher(conn, { timeoutMs: 2000, attempts: 8 });
  return {
    server,
    nc: conn,
    yaml: `name: jetstream-conformance
sources:
  aapl: { type: trade, subjects: ["md.trades.AAPL"] }
  msft: { type: trade, subjects: ["md.trades.MSFT"] }
${sequencing}
nodes: {}
`,
    services: new Services().provide(NATS, conn).provide(JETSTREAM_CONSUMERS, { consumerPrefix: "conformance" }),
    async feed(items) {
      const trades = items as Trade[];
      await within(
        publisher.publishAll(trades.map((t) => ({ subject: publishSubject("trade", t), data: TradeMessage.encodeBytes(t), msgID: t.id }))),
        20_000,
        `publishing ${items.length} trades`,
      );
    },
    async close() {
      await within(conn.close(), 5000, "closing the NATS connection").catch(() => undefined);
      await server.stop();
    },
  };
}

/** Whether each origin is at or below the ack floor of the consumer that reads its subject. */
async function jetstreamAcknowledged(target: SourceTarget, input: InputPort, origins: readonly { subject: string; streamSeq: bigint }[]): Promise<boolean[]> {
  if (!(input instanceof JetStreamInput)) throw new Error(`the jetstream connector opened ${input.name}, not a JetStreamInput`);
  const jsm = await jetstreamManager(target.services.get(NATS, "the jetstream harness"));
  const floors = new Map<string, bigint>();
  for (const lane of input.lanes) {
    // A 2.9 server reports stream_seq 0 before the first ack, newer ones the sequence before the first message:
    // either way, below every message the consumer still has to acknowledge. A consumer the input recreated after a
    // reconnect starts above what the run committed (opt_start_seq): it never delivers those again either.
    const info = await jsm.consumers.info(lane.stream, lane.durable);
    const below = BigInt(info.config.opt_start_seq ?? 1) - 1n;
    const floor = BigInt(info.ack_floor.stream_seq);
    floors.set(lane.subject, floor > below ? floor : below);
  }
  return origins.map((o) => {
    const lane = input.lanes.find((l) => subjectMatches(l.subject, o.subject));
    if (!lane) throw new Error(`origin ${o.subject} #${o.streamSeq} matches no consumer's filter (${input.lanes.map((l) => l.subject).join(", ")})`);
    return o.streamSeq <= floors.get(lane.subject)!;
  });
}

/**
 * Run 1 commits what it read of the first chunk, reads the second without committing its last batch and stops;
 * a third chunk is published while no run reads; run 2, on the same durable consumers, gets the uncommitted
 * inputs again and the rest.
 */
async function jetstreamRedelivery(): Promise<Scenario> {
  const t = await startJetStreamTarget(LIVE_FEED);
  try {
    const expected = Array.from({ length: 300 }, (_x, i) => jetstreamTrade(i));
    await t.feed(expected.slice(0, 100));
    const one = openSource(t, "jetstream", "redelivery-1");
    const r1 = await new BatchReader(one.input, "jetstream run 1").open();
    const uncommitted = new Set<number>();
    try {
      await r1.readUntil(100);
      await t.feed(expected.slice(100, 200));
      // The batch that completes the second chunk is the last one read: it is not committed.
      await r1.readUntil(200, { commit: () => r1.count < 200 });
      uncommitted.add(r1.batches.length - 1);
      const before = r1.batches.length;
      await r1.finish({ commit: false });
      for (let i = before; i < r1.batches.length; i++) uncommitted.add(i);
    } catch (e) {
      await r1.abandon();
      throw e;
    }
    const notCommitted = idsOf(r1.batches.filter((_b, i) => uncommitted.has(i)));
    expect(notCommitted.length, "run 1 ends with inputs it read but did not commit").toBeGreaterThan(0);
    const committed = except(r1.batches, uncommitted);

    await t.feed(expected.slice(200));
    const two = openSource(t, "jetstream", "redelivery-2");
    const r2 = await new BatchReader(two.input, "jetstream run 2").open();
    try {
      await r2.readUntil(expected.length - idsOf(committed).length);
      await r2.finish();
    } catch (e) {
      await r2.abandon();
      throw e;
    }
    const again = new Set(idsOf(r2.batches));
    expect(
      notCommitted.filter((id) => !again.has(id)),
      "every input run 1 did not commit comes to run 2",
    ).toEqual([]);
    return {
      pipeline: one.pipeline,
      expected,
      runs: [committed, r2.batches],
      evidence: `${notCommitted.length} inputs read but not committed by run 1 were delivered again to run 2`,
    };
  } finally {
    await t.close();
  }
}

/**
 * The nats-server process is restarted (same port, same store) twice: right after the second chunk was published,
 * while its messages are being delivered; and while the run holds a batch it has not committed yet, whose acks
 * then go out on the new connection and must reach the server.
 */
async function jetstreamReconnect(): Promise<Scenario> {
  const t = await startJetStreamTarget(LIVE_FEED);
  try {
    const expected = Array.from({ length: 300 }, (_x, i) => jetstreamTrade(i));
    await t.feed(expected.slice(0, 100));
    const { pipeline, input } = openSource(t, "jetstream", "reconnect");
    const r = await new BatchReader(input, "jetstream across server restarts").open();
    let held = 0;
    try {
      await r.readUntil(100);
      await t.feed(expected.slice(100, 200));
      const pid = t.server.process.pid;
      await t.server.restart();
      expect(t.server.process.pid, "a new nats-server process").not.toBe(pid);
      await r.readUntil(200, { commit: () => r.count < 200, timeoutMs: 30_000 });
      const last = r.batches.at(-1)!;
      held = last.items.length;
      await t.server.restart();
      await last.commit!();
      await until(
        "the acks of the batch committed across the restart reach the server",
        async () => (await jetstreamAcknowledged(t, input, last.origins!).catch(() => [false])).every(Boolean),
        15_000,
      );
      await t.feed(expected.slice(200));
      await r.readUntil(expected.length, { timeoutMs: 30_000 });
      await r.finish();
    } catch (e) {
      await r.abandon();
      throw e;
    }
    return {
      pipeline,
      expected,
      runs: [r.batches],
      evidence: `two nats-server restarts: one while 100 messages were being delivered, one while the run held ${held} uncommitted inputs (acked after it)`,
    };
  } finally {
    await t.close();
  }
}

// --- binance: a local WebSocket server playing the exchange ------------------------------------------------------

const BINANCE_SYMBOLS = ["BTCUSDT", "ETHUSDT"] as const;

function binanceFrame(i: number): string {
  const s = BINANCE_SYMBOLS[i % 2]!;
  const T = T0_MS + i;
  return JSON.stringify({
    stream: `${s.toLowerCase()}@trade`,
    data: { e: "trade", E: T + 1, s, t: i, p: (43000 + (i % 50)).toFixed(2), q: "0.50000000", T, m: i % 3 === 0, M: true },
  });
}

function binanceTrade(i: number): Trade {
  const r = parseBinanceFrame(binanceFrame(i), i + 1);
  if (r.kind !== "trade") throw new Error(`harness frame ${i} does not parse as a trade`);
  return r.trade;
}

/** `binance:<SYMBOL>:<t>` → t, the frame's index. */
const frameIndex = (item: Timed): number => Number(idOf(item).split(":")[2]);

const SUBSCRIBED = JSON.stringify({ result: null, id: 1 });

interface BinanceTarget extends SourceTarget {
  /** Server-side sockets, in connection order. */
  readonly sockets: WebSocket[];
  /** What connection `n` is sent after its SUBSCRIBE (default: every frame fed so far). */
  serve(policy: (connection: number) => readonly string[]): void;
}

async function startBinanceTarget(): Promise<BinanceTarget> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const sockets: WebSocket[] = [];
  let frames: string[] = [];
  let policy = (_connection: number): readonly string[] => frames;
  server.on("connection", (ws) => {
    const n = sockets.push(ws) - 1;
    ws.on("error", () => undefined); // a terminated socket may report ECONNRESET
    ws.once("message", () => {
      ws.send(SUBSCRIBED);
      for (const f of policy(n)) ws.send(f);
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    sockets,
    yaml: `name: binance-conformance
sources:
  trades: { type: trade, connector: binance, params: { symbols: [${BINANCE_SYMBOLS.join(", ")}], url: "${url}", reconnectDelay: 50ms, maxReconnects: 3 } }
${PREFED}
nodes: {}
`,
    services: new Services(),
    async feed(items) {
      frames = [...frames, ...items.map((x) => binanceFrame(frameIndex(x)))];
    },
    serve(p) {
      policy = p;
    },
    async close() {
      for (const s of sockets) s.terminate(); // ws 8's server.close() leaves open connections alone
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function binanceStats(input: InputPort): WebSocketTradeInput["stats"] {
  if (!(input instanceof WebSocketTradeInput)) throw new Error(`the binance connector opened ${input.name}, not a WebSocketTradeInput`);
  return input.stats;
}

/** The exchange closes the connection (as Binance does every 24 h) and, after the reconnect, sends everything again. */
async function binanceRedelivery(): Promise<Scenario> {
  const t = await startBinanceTarget();
  try {
    const all = Array.from({ length: 300 }, (_x, i) => binanceFrame(i));
    t.serve((n) => (n === 0 ? all.slice(0, 180) : all));
    const { pipeline, input } = openSource(t, "binance", "resend");
    const r = await new BatchReader(input, "binance across a re-sending reconnect").open();
    try {
      await r.readUntil(180);
      t.sockets[0]!.close(1001, "going away");
      await r.readUntil(300);
      await r.finish();
    } catch (e) {
      await r.abandon();
      throw e;
    }
    const stats = binanceStats(input);
    expect(stats).toMatchObject({ connections: 2, trades: 300, redelivered: 180, rejected: 0 });
    return {
      pipeline,
      expected: all.map((_f, i) => binanceTrade(i)),
      runs: [r.batches],
      evidence: `the exchange re-sent ${stats.redelivered} trades after the reconnect; all were dropped by trade id`,
    };
  } finally {
    await t.close();
  }
}

/** The exchange drops the connection abruptly (no close frame) mid-stream; the rest comes on the next connection. */
async function binanceReconnect(): Promise<Scenario> {
  const t = await startBinanceTarget();
  try {
    const all = Array.from({ length: 300 }, (_x, i) => binanceFrame(i));
    t.serve((n) => (n === 0 ? all.slice(0, 150) : all.slice(150)));
    const { pipeline, input } = openSource(t, "binance", "reconnect");
    const r = await new BatchReader(input, "binance across a dropped connection").open();
    try {
      // Received, not necessarily handed over: the last trades may still wait in the sequencer when the drop comes.
      await until("the first connection's 150 trades received", () => binanceStats(input).trades >= 150);
      t.sockets[0]!.terminate();
      await r.readUntil(300);
      await r.finish();
    } catch (e) {
      await r.abandon();
      throw e;
    }
    const stats = binanceStats(input);
    expect(stats).toMatchObject({ connections: 2, trades: 300, redelivered: 0, rejected: 0 });
    return {
      pipeline,
      expected: all.map((_f, i) => binanceTrade(i)),
      runs: [r.batches],
      evidence: `the connection dropped after 150 trades were received and came back (${stats.connections} connections)`,
    };
  } finally {
    await t.close();
  }
}

// --- file: a news JSON Lines file, written out of event-time order ---------------------------------------------

const FILE_BATCH = 64;

function fileNews(i: number): Timed {
  return NewsMessage.create({
    id: `conformance-news-${i}`,
    source: "wire",
    tsEvent: BigInt(T0_MS + i * 1000) * NS_PER_MS,
    headline: `headline ${i}`,
    symbols: ["AAPL"],
  });
}

async function startFileTarget(): Promise<SourceTarget & { readonly path: string }> {
  const tmp = tempDir("tickflow-conformance-file-");
  const path = join(tmp.dir, "news.jsonl");
  writeFileSync(path, ""); // "nothing to read" is an empty file, not a missing one
  return {
    path,
    yaml: `name: file-conformance
sources:
  news: { type: news, connector: file, params: { path: "${path}", batchSize: ${FILE_BATCH} } }
nodes: {}
`,
    services: new Services(),
    async feed(items) {
      // Shuffled (a fixed permutation): the port must put the file in event-time order itself.
      const n = items.length;
      const order = Array.from({ length: n }, (_x, k) => (k * 7919) % n);
      const lines = (n > 0 && new Set(order).size === n ? order : items.map((_x, k) => k)).map((k) => {
        const x = items[k] as ReturnType<typeof NewsMessage.create>;
        return JSON.stringify({ id: x.id, source: x.source, tsEvent: String(x.tsEvent), headline: x.headline, symbols: x.symbols });
      });
      writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
    },
    async close() {
      tmp.cleanup();
    },
  };
}

/** What a batch hands the pipeline, minus `commit` (a function, and absent for files anyway). */
const content = (b: InputBatch) => ({ items: b.items, sources: Array.from(b.sources), watermark: b.watermark, origins: b.origins, deadLetters: b.deadLetters });

async function fileReread(): Promise<Scenario> {
  const t = await startFileTarget();
  try {
    const expected = Array.from({ length: 300 }, (_x, i) => fileNews(i));
    await t.feed(expected);
    const read = async (runId: string): Promise<{ pipeline: Scenario["pipeline"]; batches: InputBatch[] }> => {
      const { pipeline, input } = openSource(t, "file", runId);
      const r = await new BatchReader(input, `file read ${runId}`).open();
      try {
        await r.readUntil(expected.length);
        await r.finish();
      } catch (e) {
        await r.abandon();
        throw e;
      }
      return { pipeline, batches: r.batches };
    };
    const first = await read("read-1");
    const second = await read("read-2");
    expect(second.batches.map(content), "a second read of the file gives the same batches").toEqual(first.batches.map(content));
    return { pipeline: first.pipeline, expected, runs: [first.batches], evidence: `a second read gave the same ${second.batches.length} batches` };
  } finally {
    await t.close();
  }
}

export const SOURCE_HARNESSES: readonly SourceHarness[] = [
  {
    connector: "jetstream",
    start: () => startJetStreamTarget(),
    inputs: (count, from = 0) => Array.from({ length: count }, (_x, i) => jetstreamTrade(from + i)),
    acknowledged: jetstreamAcknowledged,
    redelivery: jetstreamRedelivery,
    reconnect: jetstreamReconnect,
  },
  {
    connector: "binance",
    start: startBinanceTarget,
    inputs: (count, from = 0) => Array.from({ length: count }, (_x, i) => binanceTrade(from + i)),
    acknowledged: {
      notApplicable:
        "a public WebSocket feed has no acknowledgements (the exchange never learns what was processed); trades it sends again are dropped by trade id instead",
    },
    redelivery: binanceRedelivery,
    reconnect: binanceReconnect,
  },
  {
    connector: "file",
    start: startFileTarget,
    inputs: (count, from = 0) => Array.from({ length: count }, (_x, i) => fileNews(from + i)),
    acknowledged: { notApplicable: "a file has no read position to acknowledge: it is read whole at open(), and a rerun reads it all again" },
    redelivery: fileReread,
    reconnect: { notApplicable: "a file is read whole at open(): there is no connection to lose" },
  },
];
