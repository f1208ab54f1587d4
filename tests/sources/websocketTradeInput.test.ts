// The binance connector against a local WebSocket server (127.0.0.1, a free port) that plays the fixture frames:
// through the run driver, across a dropped connection, into a DuckDB recording that replays to the same digest.
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { describe, expect, it } from "vitest";
import { CONNECTORS } from "../../app/connectors.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { DuckDbRunJournal } from "../../replay/runs.ts";
import { replay } from "../../replay/replay.ts";
import { openInput, openOutputs, Services } from "../../runtime/connectors.ts";
import { CollectingOutput, MemoryInput } from "../../runtime/memoryInput.ts";
import type { DeadLetterPort } from "../../runtime/ports.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { RunDriver, type BoundOutput } from "../../runtime/runDriver.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { DeadLetter } from "../../schemas/deadLetter.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { DeadLetterRecorder, DuckDbInputRecorder, RECORDER } from "../../sinks/outputSinks.ts";
import { parseBinanceFrame } from "../../sources/exchange/binanceTrades.ts";
import { WebSocketTradeInput } from "../../sources/websocketTradeInput.ts";
import { withDatabase } from "../helpers/duckdb.ts";

const FRAMES = readFileSync(new URL("../fixtures/exchange/binance-trades.jsonl", import.meta.url), "utf8")
  .trimEnd()
  .split("\n");
/** The fixture's valid trades in the order the pipeline must see them: event time, then trade id (the recorded stream_seq). */
const EXPECTED: { trade: Trade; seq: bigint }[] = FRAMES.flatMap((l, i) => {
  const r = parseBinanceFrame(l, i + 1);
  return r.kind === "trade" ? [{ trade: r.trade, seq: r.tradeId }] : [];
}).sort((a, b) => (a.trade.tsEvent !== b.trade.tsEvent ? (a.trade.tsEvent < b.trade.tsEvent ? -1 : 1) : a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
const EXPECTED_IDS = EXPECTED.map((e) => e.trade.id);

const yaml = (url: string, sinks = ["{ type: duckdb, in: bars }", "{ type: console, in: trades }"], maxReconnects = 3): string => `
name: binance-bars
sources:
  trades: { type: trade, connector: binance, params: { symbols: [BTCUSDT, ETHUSDT], url: "${url}", reconnectDelay: 50ms, maxReconnects: ${maxReconnects} } }
sequencing: { maxDelay: 0s, idleAfter: 100ms }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1s } }
sinks:
${sinks.map((s) => `  - ${s}`).join("\n")}
`;

/** A stand-in for the exchange: answers each connection's SUBSCRIBE with `onSubscribe`. */
interface Exchange {
  readonly url: string;
  /** Server-side sockets, in connection order. */
  readonly sockets: WebSocket[];
  readonly subscriptions: unknown[];
  close(): Promise<void>;
}

async function startExchange(onSubscribe: (ws: WebSocket, connection: number) => void): Promise<Exchange> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const sockets: WebSocket[] = [];
  const subscriptions: unknown[] = [];
  server.on("connection", (ws) => {
    const n = sockets.push(ws) - 1;
    ws.on("error", () => undefined); // a terminated socket may report ECONNRESET
    ws.once("message", (data) => {
      subscriptions.push(JSON.parse(String(data)));
      onSubscribe(ws, n);
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    subscriptions,
    close: async () => {
      for (const s of sockets) s.terminate(); // ws 8's server.close() leaves open connections alone
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const send = (ws: WebSocket, frames: readonly string[]): void => {
  for (const f of frames) ws.send(f);
};

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

class CollectingDeadLetters implements DeadLetterPort {
  readonly stage = "observe";
  readonly letters: DeadLetter[] = [];
  async write(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
  }
}

interface LiveHarness {
  readonly pipeline: CompiledPipeline;
  readonly input: WebSocketTradeInput;
  readonly driver: RunDriver;
  readonly collect: CollectingOutput;
  readonly dead: CollectingDeadLetters;
  readonly done: Promise<RunSummary>;
}

/** Starts a live run of the pipeline from `url` through the registered connector, collecting trades, bars and dead letters. */
function startLive(url: string, runId: string, maxReconnects = 3): LiveHarness {
  const pipeline = parsePipeline(yaml(url, undefined, maxReconnects));
  const input = openInput(pipeline, CONNECTORS, runId, new Services());
  if (!(input instanceof WebSocketTradeInput)) throw new Error(`connector binance opened ${input.name}`);
  const collect = new CollectingOutput();
  const dead = new CollectingDeadLetters();
  const outputs: BoundOutput[] = [
    { port: collect, node: "trades" },
    { port: collect, node: "bars" },
  ];
  const driver = new RunDriver({ pipeline, runId, mode: "live", input, outputs, deadLetters: [dead] });
  const done = driver.execute();
  done.catch(() => undefined); // observed by the test; a failing test must not leave an unhandled rejection
  return { pipeline, input, driver, collect, dead, done };
}

/** Stops the run (bounded) and returns its summary. */
async function stopLive(h: LiveHarness): Promise<RunSummary> {
  await h.driver.stop();
  return await Promise.race([h.done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the run did not end within 5 s of stop()")), 5000))]);
}

/** The bars the pipeline gives for the expected trades fed from memory: what live must match. */
async function expectedBars(pipeline: CompiledPipeline): Promise<Bar[]> {
  const collect = new CollectingOutput();
  const trades = EXPECTED.map((e) => e.trade);
  await new RunDriver({
    pipeline,
    runId: "memory",
    mode: "replay",
    input: MemoryInput.chunked(trades, 37, trades[trades.length - 1]!.tsEvent + 1n),
    outputs: [{ port: collect, node: "bars" }],
  }).execute();
  return collect.get<Bar>("bars");
}

describe("binance connector declaration", () => {
  it("compiles with defaults and records each symbol under its own subject; a bad symbol fails at load with the path", () => {
    const p = parsePipeline(yaml("ws://127.0.0.1:9"));
    expect(p.sources[0]!.subjects).toEqual(["exchange.binance.trades.BTCUSDT", "exchange.binance.trades.ETHUSDT"]);
    const d = parsePipeline("name: d\nsources:\n  trades: { type: trade, connector: binance, params: { symbols: [BTCUSDT] } }\nnodes: {}\n");
    expect(d.sources[0]!.params).toEqual({ symbols: ["BTCUSDT"], url: "wss://stream.binance.com:9443/stream", reconnectDelay: "1s", maxReconnects: 10 });
    expect(() => parsePipeline("name: d\nsources:\n  trades: { type: trade, connector: binance, params: { symbols: [btcusdt] } }\nnodes: {}\n")).toThrow(
      /\(inline\):3:\d+: at sources\.trades\.params\.symbols\.0: must be an upper-case Binance symbol like BTCUSDT \(connector binance; example: /,
    );
    expect(() => parsePipeline("name: d\nsources:\n  bars: { type: bar, connector: binance, params: { symbols: [BTCUSDT] } }\nnodes: {}\n")).toThrow(
      /connector binance gives trade messages, not bar/,
    );
  });
});

describe("binance connector on a local WebSocket server", () => {
  it("(a) through the run driver: every valid trade exactly once in event-time order, malformed frames as dead letters", async () => {
    const ex = await startExchange((ws) => send(ws, FRAMES));
    let h: LiveHarness | undefined;
    try {
      h = startLive(ex.url, "live-a");
      await until("196 trades and 3 dead letters", () => h!.driver.run.counters.inputs >= 196 && h!.dead.letters.length >= 3);
      const summary = await stopLive(h);
      expect(ex.subscriptions).toEqual([{ method: "SUBSCRIBE", params: ["btcusdt@trade", "ethusdt@trade"], id: 1 }]);
      expect(h.collect.get<Trade>("trades").map((t) => t.id)).toEqual(EXPECTED_IDS);
      expect(h.collect.get<Trade>("trades")).toEqual(EXPECTED.map((e) => e.trade));
      expect(summary.counters.inputs).toBe(196);
      expect(summary.counters.deadLetters).toBe(3);
      expect(h.input.stats).toEqual({ connections: 1, frames: 201, trades: 196, ignored: 2, redelivered: 0, rejected: 3 });
      expect(h.dead.letters.map((l) => [l.stage, l.subject, l.ref, l.field])).toEqual([
        ["decode", "exchange.binance.trades.BTCUSDT", `${ex.url} frame #17 of run live-a`, "p"],
        ["decode", ex.url, `${ex.url} frame #101 of run live-a`, undefined],
        ["decode", "exchange.binance.trades.BTCUSDT", `${ex.url} frame #150 of run live-a`, "q"],
      ]);
      expect(h.dead.letters[0]!.reason).toBe('binance frame #17: field "p" must be a positive number, got "abc"');
      expect(h.dead.letters[1]!.reason).toMatch(/^binance frame #101: is not valid JSON/);
      expect(h.dead.letters[1]!.payload).toBe(FRAMES[100]);
      const bars = h.collect.get<Bar>("bars");
      expect(bars.length).toBeGreaterThan(20);
      expect(bars).toEqual(await expectedBars(h.pipeline));
    } finally {
      if (h) await stopLive(h).catch(() => undefined);
      await ex.close();
    }
  });

  it("(b) the server drops the connection mid-stream and replays from a few trades before: every trade still exactly once", async () => {
    // Connection 1: the ack and frames 2..120, then an abrupt drop. Connection 2: the ack, then frames 115.. again.
    const ex = await startExchange((ws, n) => send(ws, n === 0 ? FRAMES.slice(0, 120) : [FRAMES[0]!, ...FRAMES.slice(114)]));
    let h: LiveHarness | undefined;
    try {
      h = startLive(ex.url, "live-b");
      await until("the first 120 frames", () => h!.input.stats.frames >= 120);
      ex.sockets[0]!.terminate();
      await until("196 trades after the reconnect", () => h!.driver.run.counters.inputs >= 196 && h!.dead.letters.length >= 3);
      const summary = await stopLive(h);
      expect(ex.subscriptions).toHaveLength(2); // resubscribed on the new connection
      expect(ex.subscriptions[1]).toEqual(ex.subscriptions[0]);
      expect(h.collect.get<Trade>("trades").map((t) => t.id)).toEqual(EXPECTED_IDS);
      // Frames 115..120 are six valid trades, all sent twice: dropped by the dedupe, none late.
      expect(h.input.stats).toMatchObject({ connections: 2, frames: 120 + 1 + 87, trades: 196, redelivered: 6 });
      expect(summary.counters.inputs).toBe(196);
      expect(summary.counters.late).toBe(0);
      expect(h.dead.letters.map((l) => l.stage)).toEqual(["decode", "decode", "decode"]);
      expect(h.collect.get<Bar>("bars")).toEqual(await expectedBars(h.pipeline));
    } finally {
      if (h) await stopLive(h).catch(() => undefined);
      await ex.close();
    }
  });

  it("(c) live from the server with a DuckDB recording, then replay() of that file: the same digest", async () => {
    await withDatabase(async (db) => {
      const ex = await startExchange((ws) => send(ws, FRAMES));
      let driver: RunDriver | undefined;
      let done: Promise<RunSummary> | undefined;
      try {
        const pipeline = parsePipeline(yaml(ex.url, ["{ type: duckdb, in: bars }"]));
        const sink = new DuckDbRecorder(db);
        await sink.ensureRecording([TradeMessage]);
        const services = new Services().provide(RECORDER, sink);
        const input = openInput(pipeline, CONNECTORS, "live-c", services);
        driver = new RunDriver({
          pipeline,
          runId: "live-c",
          mode: "live",
          input,
          outputs: openOutputs(pipeline, CONNECTORS, "live", "live-c", services),
          deadLetters: [new DeadLetterRecorder("live-c", sink)],
          recorder: new DuckDbInputRecorder(sink),
          journal: new DuckDbRunJournal(db),
        });
        done = driver.execute();
        done.catch(() => undefined);
        const d = driver;
        await until("196 recorded trades", () => d.run.counters.inputs >= 196 && d.run.counters.deadLetters >= 3);
        await driver.stop();
        const live = await done;
        expect(live.counters.inputs).toBe(196);
        expect(live.counters.outputs.bars).toBeGreaterThan(20);

        const bySubject = await db.query<{ subject: string; n: bigint }>("SELECT subject, count(*) n FROM trades GROUP BY subject ORDER BY subject");
        expect(bySubject).toEqual([
          { subject: "exchange.binance.trades.BTCUSDT", n: 112n },
          { subject: "exchange.binance.trades.ETHUSDT", n: 84n },
        ]);
        const [seq] = await db.query<{ bad: bigint }>("SELECT count(*) bad FROM trades WHERE id <> 'binance:' || symbol || ':' || stream_seq::VARCHAR");
        expect(seq!.bad).toBe(0n);
        const [dl] = await db.query<{ n: bigint }>("SELECT count(*) n FROM dead_letters WHERE run_id = 'live-c' AND stage = 'decode'");
        expect(dl!.n).toBe(3n);

        const a = await replay({ pipeline: parsePipeline(yaml(ex.url, ["{ type: duckdb, in: bars }"])), db, runId: "replay-c" });
        const b = await replay({ pipeline: parsePipeline(yaml(ex.url, ["{ type: duckdb, in: bars }"])), db, runId: "replay-c7", batchSize: 7 });
        expect(a.counters.inputs).toBe(196);
        expect(a.digest).toBe(live.digest);
        expect(b.digest).toBe(live.digest);
        expect(a.counters.outputs).toEqual(live.counters.outputs);
        const runs = await db.query<{ run_id: string; mode: string; digest: string }>("SELECT run_id, mode, digest FROM runs ORDER BY run_id");
        expect(runs.map((r) => [r.run_id, r.mode, r.digest])).toEqual([
          ["live-c", "live", live.digest],
          ["replay-c", "replay", live.digest],
          ["replay-c7", "replay", live.digest],
        ]);
      } finally {
        if (driver) await driver.stop().catch(() => undefined);
        await done?.catch(() => undefined);
        await ex.close();
      }
    });
  });

  it("a quiet symbol does not hold the others back; a trade older than the released watermark is late; unsubscribed symbols are rejected", async () => {
    const T0 = 1704205800000;
    const trade = (s: string, t: number, T: number): string =>
      JSON.stringify({
        stream: `${s.toLowerCase()}@trade`,
        data: { e: "trade", E: T + 1, s, t, p: s === "BTCUSDT" ? "43000.12000000" : "2300.50000000", q: "0.00123000", T, m: false, M: true },
      });
    const ex = await startExchange((ws) => send(ws, [FRAMES[0]!, trade("BTCUSDT", 1, T0 + 1000), trade("BTCUSDT", 2, T0 + 1001)]));
    let h: LiveHarness | undefined;
    try {
      h = startLive(ex.url, "live-d");
      // ETHUSDT never traded: after idleAfter its lane stops holding BTCUSDT back.
      await until("both BTCUSDT trades released", () => h!.driver.run.counters.inputs >= 2);
      send(ex.sockets[0]!, [trade("ETHUSDT", 10, T0 + 900), trade("SOLUSDT", 5, T0 + 2000), trade("ETHUSDT", 11, T0 + 2000)]);
      await until("the late trade, the rejected one and the next trade", () => h!.dead.letters.length >= 2 && h!.driver.run.counters.inputs >= 3);
      const summary = await stopLive(h);
      expect(h.collect.get<Trade>("trades").map((t) => t.id)).toEqual(["binance:BTCUSDT:1", "binance:BTCUSDT:2", "binance:ETHUSDT:11"]);
      expect(summary.counters.late).toBe(1);
      const [late, unknown] = h.dead.letters;
      expect([late!.stage, late!.subject, late!.ref, late!.field]).toEqual([
        "late",
        "exchange.binance.trades.ETHUSDT",
        "exchange.binance.trades.ETHUSDT #10",
        "tsEvent",
      ]);
      expect(late!.reason).toMatch(
        /^trade binance:ETHUSDT:10: event time \d{4}-\d\d-\d\dT[\d:.]+Z is [\d.]+ m?s behind the watermark \d{4}-\d\d-\d\dT[\d:.]+Z \(sequencing\.maxDelay 0s\)$/,
      );
      expect([unknown!.stage, unknown!.field]).toEqual(["decode", "s"]);
      expect(unknown!.reason).toBe('binance frame #5: field "s" is SOLUSDT, which this run did not subscribe to (symbols: BTCUSDT, ETHUSDT)');
    } finally {
      if (h) await stopLive(h).catch(() => undefined);
      await ex.close();
    }
  });

  it("fails with the url and the attempts once the server stays away, after handing over what it received", async () => {
    const ex = await startExchange((ws) => send(ws, FRAMES.slice(0, 10)));
    let h: LiveHarness | undefined;
    try {
      h = startLive(ex.url, "live-e", 2);
      await until("the first 10 frames", () => h!.input.stats.frames >= 10);
      await ex.close(); // the connection drops and nothing listens on the port any more
      await expect(Promise.race([h.done, new Promise((r) => setTimeout(() => r("still running"), 5000))])).rejects.toThrow(
        new RegExp(
          `^binance source: lost the connection to ${ex.url.replace(/\./g, "\\.")} and 2 reconnect attempt\\(s\\) failed \\(maxReconnects 2, reconnectDelay 50ms\\); last error: .*ECONNREFUSED`,
        ),
      );
      // The nine trades of frames 2..10 were drained into the run before it failed (a live run records them).
      expect(h.collect.get<Trade>("trades").map((t) => t.id)).toEqual(EXPECTED_IDS.slice(0, 9));
    } finally {
      if (h) await h.driver.stop().catch(() => undefined);
      await ex.close().catch(() => undefined);
    }
  });
});
