// Worker thread of bench/latency.bench.ts: the paced trade publisher ("publish") and the receiving probe ("receive"),
// each on its own NATS connection and event loop, so neither shares a thread with the pipeline it measures.
// Times are process.hrtime (one monotonic clock for every thread of the process) in ns since `origin`.
import { parentPort, workerData } from "node:worker_threads";
import { connect, createInbox, headers, type Msg } from "@nats-io/transport-node";
import { TradeMessage } from "../schemas/trade.ts";

/** How a trade's event time is derived from its send time: `tsEvent = epochNs + round(sentNs × timeScale)`. */
export interface LatencyClock {
  /** process.hrtime.bigint() at the bench's start: every time below is ns since it. */
  readonly origin: bigint;
  /** The wall clock (epoch ns) at `origin`. */
  readonly epochNs: bigint;
  /** Event time runs this many times faster than the wall clock (more bar closes per second). */
  readonly timeScale: number;
}

export interface PublishJob extends LatencyClock {
  readonly role: "publish";
  readonly url: string;
  readonly symbols: readonly string[];
  /** Offered trades per second. */
  readonly rate: number;
  readonly seconds: number;
  /** Event-time bar length (ns): a trade in a later bar than the one before it closes that bar. */
  readonly barNs: number;
}

export interface PublishResult {
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  /** Wall seconds from the first publish to the last. */
  readonly seconds: number;
  /**
   * Per closing trade, a triple: its bar index (floor(tsEvent / barNs): it closes the bars ending at or before that
   * index × barNs), its send time (ns since origin), and how many symbols traded since the previous close (the bars it
   * closes, one per symbol).
   */
  readonly closers: Float64Array;
}

export interface ReceiveJob extends LatencyClock {
  readonly role: "receive";
  readonly url: string;
  /** "signals": note when each bar's signal arrives; "trades": the publish → receive latency of every trade. */
  readonly what: "signals" | "trades";
  readonly barNs: number;
  /** Trades sent before this (ns since origin) are warm-up, not counted ("trades" only). */
  readonly fromNs: number;
}

export interface ReceiveResult {
  /** "signals": triples (bar end index = tsEvent / barNs, symbol index, receive time in ns since origin). */
  readonly signals: Float64Array;
  /** "trades": publish → receive latency of each counted trade, ms. */
  readonly latenciesMs: Float64Array;
}

const sinceOrigin = (origin: bigint): number => Number(process.hrtime.bigint() - origin);

/** A growable Float64Array: results go back to the bench as one transferred buffer. */
class Samples {
  private buf = new Float64Array(1 << 16);
  length = 0;
  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }
  take(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

/** At most this many publishes wait for their ack; beyond it the publisher falls behind its rate (reported). */
const MAX_IN_FLIGHT = 20_000;
/** A tick that is late publishes at most this much of the schedule at once (ms of trades). */
const MAX_BURST_MS = 20;

/**
 * A JetStream publish as the protocol has it: a PUB with a Nats-Msg-Id header and a reply subject the server sends
 * the PubAck to, acks counted as they come on one inbox subscription (the Go client's PublishAsync). nats.js's
 * `js.publish` (a request with its own promise, timer and Error per message) could not offer 10k/s from one thread.
 */
async function publish(job: PublishJob): Promise<PublishResult> {
  const nc = await connect({ servers: job.url });
  const closers = new Samples();
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const inbox = createInbox();
  nc.subscribe(`${inbox}.*`, {
    callback: (_e, m) => {
      // A PubAck is {"stream":..,"seq":..}; a refusal {"error":{..}}.
      if (m.data.length > 2 && m.data[2] === 101 /* "e" */) failed++;
      else acked++;
    },
  });
  await nc.flush();
  let lastBar = -1;
  const traded = new Set<string>();
  let price = 100;
  const maxBurst = Math.max(1, Math.round((job.rate * MAX_BURST_MS) / 1000));
  const start = sinceOrigin(job.origin);
  const end = start + job.seconds * 1e9;
  /** Trades of the schedule given up on because the publisher was late by more than a burst. */
  let skipped = 0;
  for (;;) {
    const now = sinceOrigin(job.origin);
    if (now >= end) break;
    let due = Math.floor(((now - start) / 1e9) * job.rate) - skipped - sent;
    if (due > maxBurst) {
      skipped += due - maxBurst;
      due = maxBurst;
    }
    due = Math.min(due, MAX_IN_FLIGHT - (sent - acked - failed));
    for (let i = 0; i < due; i++) {
      const sentNs = sinceOrigin(job.origin);
      const tsEvent = job.epochNs + BigInt(Math.round(sentNs * job.timeScale));
      const symbol = job.symbols[sent % job.symbols.length]!;
      price *= 1 + (((sent * 7919) % 13) - 6) * 1e-4;
      const id = `t${sent}`;
      const h = headers();
      h.set("Nats-Msg-Id", id);
      nc.publish(`md.trades.${symbol}`, TradeMessage.encodeBytes({ id, symbol, tsEvent, price, size: 1 + (sent % 5) }), {
        headers: h,
        reply: `${inbox}.${sent}`,
      });
      const bar = Number(tsEvent / BigInt(job.barNs));
      if (bar > lastBar) {
        if (lastBar >= 0) {
          closers.push(bar);
          closers.push(sentNs);
          closers.push(traded.size);
        }
        lastBar = bar;
        traded.clear();
      }
      traded.add(symbol);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const seconds = (sinceOrigin(job.origin) - start) / 1e9;
  const deadline = Date.now() + 30_000;
  while (acked + failed < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await nc.drain();
  return { sent, acked, failed, seconds, closers: closers.take() };
}

async function receive(job: ReceiveJob): Promise<void> {
  const nc = await connect({ servers: job.url });
  const decoder = new TextDecoder();
  const signals = new Samples();
  const latencies = new Samples();
  const symbols = new Map<string, number>();
  const bar = BigInt(job.barNs);
  const onSignal = (_e: unknown, m: Msg): void => {
    const at = sinceOrigin(job.origin);
    const s = JSON.parse(decoder.decode(m.data)) as { symbol: string; tsEvent: string };
    let sym = symbols.get(s.symbol);
    if (sym === undefined) symbols.set(s.symbol, (sym = symbols.size));
    signals.push(Number(BigInt(s.tsEvent) / bar));
    signals.push(sym);
    signals.push(at);
  };
  const onTrade = (_e: unknown, m: Msg): void => {
    const at = sinceOrigin(job.origin);
    const t = JSON.parse(decoder.decode(m.data)) as { tsEvent: string };
    const sentNs = Number(BigInt(t.tsEvent) - job.epochNs) / job.timeScale;
    if (sentNs >= job.fromNs) latencies.push((at - sentNs) / 1e6);
  };
  nc.subscribe(job.what === "signals" ? "signals.>" : "md.trades.>", { callback: job.what === "signals" ? onSignal : onTrade });
  await nc.flush();
  parentPort!.postMessage({ ready: true });
  await new Promise<void>((r) => parentPort!.once("message", () => r()));
  await nc.drain();
  const result: ReceiveResult = { signals: signals.take(), latenciesMs: latencies.take() };
  parentPort!.postMessage({ result }, [result.signals.buffer as ArrayBuffer, result.latenciesMs.buffer as ArrayBuffer]);
}

const job = workerData as PublishJob | ReceiveJob;
if (job.role === "publish") {
  publish(job).then(
    (result) => parentPort!.postMessage({ result }, [result.closers.buffer as ArrayBuffer]),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
} else {
  receive(job).catch((e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }));
}
