// Binance's public trade stream as a live input port: one WebSocket → parser (sources/exchange/binanceTrades.ts) →
// Sequencer (one lane per symbol) → batches for the run driver. Reconnects a bounded number of times and drops the
// trades the exchange sends again; the connector spec (`binanceSource`) is at the bottom.
import WebSocket from "ws";
import { z } from "zod";
import type { CompiledPipeline, CompiledSource } from "../pipeline/graph.ts";
import { duration } from "../pipeline/operatorDef.ts";
import { defineSource } from "../runtime/connectors.ts";
import type { InputBatch, InputPort } from "../runtime/ports.ts";
import { lateReason, Sequencer, type Sequenced } from "../runtime/sequencer.ts";
import { SequencedBatches } from "../runtime/sequencedBatches.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import { parseDurationNs } from "../schemas/time.ts";
import type { Trade } from "../schemas/trade.ts";
import { BINANCE_SYMBOL, parseBinanceFrame, subscribeMessage } from "./exchange/binanceTrades.ts";
import { SourceConnectionError } from "./sourceErrors.ts";

export const BinanceSourceParams = z.strictObject({
  symbols: z
    .array(z.string().regex(BINANCE_SYMBOL, "must be an upper-case Binance symbol like BTCUSDT"))
    .min(1)
    .max(1024)
    .refine((s) => new Set(s).size === s.length, "must not name a symbol twice")
    .describe(
      "Binance symbols to subscribe to (`<symbol>@trade`), upper case as the exchange spells them, e.g. [BTCUSDT, ETHUSDT]; at most 1024 per connection.",
    ),
  url: z
    .string()
    .regex(/^wss?:\/\/\S+$/, "must be a ws:// or wss:// URL")
    .default("wss://stream.binance.com:9443/stream")
    .describe("The combined-stream endpoint; the connection SUBSCRIBEs once open, so frames come as {stream, data}."),
  reconnectDelay: duration.default("1s").describe("Wait after a dropped connection, and between failed attempts, before connecting again."),
  maxReconnects: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe("Consecutive failed attempts before the run fails; a connection that delivers a frame resets the count."),
});
export type BinanceSourceParams = z.infer<typeof BinanceSourceParams>;

/** The subject a symbol's trades are recorded under: replay reads them back by it. */
export const binanceSubject = (symbol: string): string => `exchange.binance.trades.${symbol}`;

/** What the port saw, beyond what reaches the pipeline (re-sent trades are dropped, not dead-lettered: count them here). */
export interface WebSocketTradeInputStats {
  /** Connections that opened (1 + successful reconnects). */
  readonly connections: number;
  readonly frames: number;
  /** Trades accepted into the sequencer. */
  readonly trades: number;
  /** Subscription responses and non-trade events. */
  readonly ignored: number;
  /** Trades received again (after a reconnect) and dropped by the dedupe. */
  readonly redelivered: number;
  /** Frames turned into dead letters (undecodable, unsubscribed symbol, late). */
  readonly rejected: number;
}

export interface WebSocketTradeInputOptions {
  readonly pipeline: CompiledPipeline;
  /** The pipeline's sources (all `connector: binance`) and their checked params, in declaration order. */
  readonly sources: readonly CompiledSource[];
  readonly params: readonly BinanceSourceParams[];
  /** Goes into dead-letter refs, which must be unique across runs (the dead-letter publisher dedupes on them). */
  readonly runId: string;
}

interface Lane {
  readonly symbol: string;
  readonly subject: string;
  readonly rank: number;
}

interface Pending {
  readonly lane: number;
  readonly trade: Trade;
  readonly tradeId: bigint;
}

/**
 * Binance pings every 20 s: a connection with neither a frame nor a ping for this long is half-open (the peer
 * vanished without a FIN) and is dropped, so the reconnect logic runs instead of the run waiting forever.
 */
const SILENT_CONNECTION_MS = 60_000;

export class WebSocketTradeInput implements InputPort {
  readonly name = "binance";
  private readonly url: string;
  private readonly params: BinanceSourceParams;
  private readonly reconnectDelayMs: number;
  private readonly idleMs: number;
  private readonly lanes: Lane[] = [];
  private readonly laneOf = new Map<string, number>();
  private readonly sequencer: Sequencer<Pending>;
  private readonly lastTradeAt: number[];
  private readonly laneIdle: boolean[];
  /** Releases batches; its flushDue: every lane has been quiet for idleAfter while connected. */
  private readonly out: SequencedBatches<Pending, DeadLetter>;
  private readonly counts = { connections: 0, frames: 0, trades: 0, ignored: 0, redelivered: 0, rejected: 0 };
  private ws?: WebSocket;
  private connected = false;
  /** Consecutive connection attempts that failed (or dropped before delivering a frame). */
  private attempts = 0;
  private lastError = "";
  /** Wall time of the last frame or ping on the current connection. */
  private heardAt = 0;
  /** Why this process dropped the current connection, when it did. */
  private dropReason?: string;
  private reconnectTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private opened?: Promise<void>;
  private opening?: { resolve: () => void; reject: (e: unknown) => void };
  private stopping = false;

  constructor(private readonly o: WebSocketTradeInputOptions) {
    const first = o.params[0];
    if (!first) throw new Error(`pipeline ${o.pipeline.decl.name}: the binance connector needs at least one source`);
    // One connection serves every source, so they must agree on where and how to connect.
    for (const [i, p] of o.params.entries()) {
      if (p.url !== first.url || p.reconnectDelay !== first.reconnectDelay || p.maxReconnects !== first.maxReconnects) {
        throw new Error(
          `pipeline ${o.pipeline.decl.name}: binance sources "${o.sources[0]!.name}" and "${o.sources[i]!.name}" differ in url, reconnectDelay or maxReconnects; one connection serves them all, so give them the same`,
        );
      }
      for (const symbol of p.symbols) {
        const other = this.laneOf.get(symbol);
        if (other !== undefined)
          throw new Error(
            `pipeline ${o.pipeline.decl.name}: symbol ${symbol} is declared by binance sources "${o.sources.find((s) => s.rank === this.lanes[other]!.rank)!.name}" and "${o.sources[i]!.name}"; declare it once`,
          );
        this.laneOf.set(symbol, this.lanes.length);
        this.lanes.push({ symbol, subject: binanceSubject(symbol), rank: o.sources[i]!.rank });
      }
    }
    this.params = first;
    this.url = first.url;
    this.reconnectDelayMs = Number(parseDurationNs(first.reconnectDelay) / 1_000_000n);
    this.idleMs = Number(parseDurationNs(o.pipeline.decl.sequencing.idleAfter) / 1_000_000n);
    this.sequencer = new Sequencer<Pending>(this.lanes.length, parseDurationNs(o.pipeline.decl.sequencing.maxDelay));
    // On a failure the trades already received are handed over (and so recorded) before the error ends the run.
    this.out = new SequencedBatches(this.sequencer, (entries, watermark, dead) => this.batch(entries, watermark, dead), { drainOnFailure: true });
    this.lastTradeAt = new Array<number>(this.lanes.length).fill(0);
    this.laneIdle = new Array<boolean>(this.lanes.length).fill(false);
  }

  get stats(): WebSocketTradeInputStats {
    return { ...this.counts };
  }

  /** The released watermark (every trade before it has been handed to the pipeline). */
  get watermark(): bigint {
    return this.sequencer.watermark;
  }

  /** Connects and subscribes; resolves once the first connection is open, rejects when every attempt failed. Idempotent. */
  open(): Promise<void> {
    this.opened ??= new Promise<void>((resolve, reject) => {
      if (this.stopping) return resolve();
      this.opening = { resolve, reject };
      const interval = Math.max(10, Math.floor(this.idleMs / 2));
      this.idleTimer = setInterval(() => setImmediate(() => this.checkIdle()), interval);
      this.idleTimer.unref();
      this.connect();
    });
    return this.opened;
  }

  async *batches(): AsyncIterable<InputBatch> {
    await this.open();
    yield* this.out.batches();
  }

  /** Closes the socket (frames already received are still processed), then ends `batches()` once drained. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    this.opening?.resolve(); // stopped before the first connection opened: the run ends with nothing
    await this.closeSocket();
    this.out.end(); // the socket is closed: nothing more can arrive, the sequencer may be drained
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    await this.closeSocket();
    this.out.end();
  }

  private connect(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, { handshakeTimeout: 10_000 });
    } catch (e) {
      this.fail(new SourceConnectionError(`binance source: cannot connect to ${this.url}: ${(e as Error).message}`, { cause: e }));
      return;
    }
    this.ws = ws;
    let error: string | undefined;
    let delivered = false;
    ws.on("open", () => {
      this.counts.connections++;
      this.connected = true;
      this.heardAt = Date.now();
      // Every lane gets idleAfter from now to deliver (or re-deliver) before it stops holding the others back.
      this.lastTradeAt.fill(Date.now());
      ws.send(subscribeMessage(this.lanes.map((l) => l.symbol)));
      this.opening?.resolve();
    });
    ws.on("ping", () => (this.heardAt = Date.now()));
    ws.on("message", (data, isBinary) => {
      this.heardAt = Date.now();
      if (!delivered) {
        delivered = true;
        this.attempts = 0;
      }
      this.onFrame(data, isBinary);
    });
    ws.on("error", (e) => (error = e.message));
    ws.on("close", (code, reason) => {
      if (this.ws === ws) this.ws = undefined;
      this.connected = false;
      this.lastError = error ?? this.dropReason ?? `closed by the server (code ${code}${reason.length ? `, ${reason.toString()}` : ""})`;
      this.dropReason = undefined;
      this.onDisconnected();
    });
  }

  private onDisconnected(): void {
    if (this.stopping || this.out.failed !== undefined) return;
    // While disconnected nothing is known about any symbol: hold the watermark where it is, so trades the
    // exchange re-sends after the reconnect are not late.
    for (let i = 0; i < this.lanes.length; i++) {
      this.sequencer.setIdle(i, false);
      this.laneIdle[i] = false;
    }
    this.out.flushDue = false;
    if (this.attempts >= this.params.maxReconnects) {
      const never = this.counts.connections === 0;
      const what = never ? `could not connect to ${this.url}` : `lost the connection to ${this.url}`;
      this.fail(
        new SourceConnectionError(
          `binance source: ${what} and ${this.attempts} reconnect attempt(s) failed (maxReconnects ${this.params.maxReconnects}, reconnectDelay ${this.params.reconnectDelay}); last error: ${this.lastError}${never ? "" : ". Trades sent since the connection dropped are not in this run"}`,
        ),
      );
      return;
    }
    this.attempts++;
    // A public WebSocket feed has no acks: trades sent while disconnected that the exchange does not send again
    // are lost. Those it does re-send are dropped by the dedupe (trade ids), so none is processed twice; the
    // recording shows exactly what was processed.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping) this.connect();
    }, this.reconnectDelayMs);
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const frame = ++this.counts.frames;
    const ref = `${this.url} frame #${frame} of run ${this.o.runId}`;
    const text = rawText(data);
    if (isBinary) {
      this.dead({
        stage: "decode",
        subject: this.url,
        ref,
        reason: `binance frame #${frame}: a binary frame; the trade stream sends text (JSON) frames`,
        payload: text,
      });
      return;
    }
    const r = parseBinanceFrame(text, frame);
    if (r.kind === "ignored") {
      this.counts.ignored++;
      return;
    }
    if (r.kind === "error") {
      const e = r.error;
      this.dead({
        stage: "decode",
        subject: r.symbol ? binanceSubject(r.symbol) : this.url,
        ref,
        reason: e.message,
        field: e.field || undefined,
        payload: text,
      });
      return;
    }
    const { trade, tradeId } = r;
    const subject = binanceSubject(trade.symbol);
    const lane = this.laneOf.get(trade.symbol);
    if (lane === undefined) {
      this.dead({
        stage: "decode",
        subject,
        ref,
        reason: `binance frame #${frame}: field "s" is ${trade.symbol}, which this run did not subscribe to (symbols: ${this.lanes.map((l) => l.symbol).join(", ")})`,
        field: "s",
        payload: text,
      });
      return;
    }
    this.lastTradeAt[lane] = Date.now();
    this.laneIdle[lane] = false;
    this.out.flushDue = false;
    // Trade ids are unique per symbol on the exchange, so a seen key is the same trade sent again.
    const key = `trade:${trade.id}`;
    const result = this.sequencer.add(lane, trade.tsEvent, tradeId, { lane, trade, tradeId }, key, this.lanes[lane]!.rank, `${subject}:${tradeId}`);
    if (result === "accepted") this.counts.trades++;
    else if (result === "duplicate") this.counts.redelivered++;
    else {
      this.dead({
        stage: "late",
        subject,
        ref: `${subject} #${tradeId}`,
        reason: `trade ${trade.id}: ${lateReason(trade.tsEvent, this.sequencer.watermark, this.o.pipeline.decl.sequencing.maxDelay)}`,
        field: "tsEvent",
        payload: text,
      });
      return;
    }
    this.out.signal();
  }

  /** Wall clock, here in the I/O layer only: a symbol quiet for idleAfter stops holding the other symbols back. */
  private checkIdle(): void {
    // Run from setImmediate, after the event loop's poll phase: frames already in the socket are read before
    // a lane is judged quiet (a timer that fires late, after a long batch, would otherwise outrun them).
    // While disconnected the silence says nothing about the market.
    if (!this.connected || this.stopping) return;
    const now = Date.now();
    if (this.ws && now - this.heardAt > SILENT_CONNECTION_MS) {
      this.dropReason = `no frame or ping for ${SILENT_CONNECTION_MS / 1000} s`;
      this.ws.terminate();
      return;
    }
    let changed = false;
    let quiet = true;
    for (let i = 0; i < this.lanes.length; i++) {
      if (now - this.lastTradeAt[i]! < this.idleMs) {
        quiet = false;
        continue;
      }
      if (!this.laneIdle[i]) {
        this.sequencer.setIdle(i, true);
        this.laneIdle[i] = true;
        changed = true;
      }
    }
    if (quiet && !this.out.flushDue) {
      this.out.flushDue = true;
      changed = true;
    }
    if (changed) this.out.signal();
  }

  private batch(entries: readonly Sequenced<Pending>[], watermark: bigint, deadLetters: readonly DeadLetter[]): InputBatch {
    return {
      items: entries.map((e) => e.item.trade),
      sources: entries.map((e) => e.rank),
      // Recorded under the symbol's subject with the trade id as sequence: replay's order (ts, seq) is the sequencer's.
      origins: entries.map((e) => ({ subject: this.lanes[e.item.lane]!.subject, streamSeq: e.item.tradeId })),
      watermark,
      deadLetters,
    };
  }

  private dead(letter: DeadLetter): void {
    this.counts.rejected++;
    // A pathological frame's payload is bounded where every dead letter passes (PipelineRun.deadLetter).
    this.out.dead(letter);
  }

  private async closeSocket(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, "tickflow run stopped");
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    });
  }

  private clearTimers(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.idleTimer = this.reconnectTimer = undefined;
  }

  private fail(e: unknown): void {
    this.opening?.reject(e);
    this.out.fail(e);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

export const binanceSource = defineSource({
  connector: "binance",
  summary:
    "Binance's public trade stream: one WebSocket SUBSCRIBEd to <symbol>@trade; trades recorded under exchange.binance.trades.<SYMBOL>; bounded reconnects, re-sent trades dropped by trade id.",
  params: BinanceSourceParams,
  example: "{ type: trade, connector: binance, params: { symbols: [BTCUSDT, ETHUSDT] } }",
  kinds: ["trade"],
  subjects: (p) => p.symbols.map(binanceSubject),
  open: (sources, params, ctx) => new WebSocketTradeInput({ pipeline: ctx.pipeline, sources, params, runId: ctx.runId }),
});
