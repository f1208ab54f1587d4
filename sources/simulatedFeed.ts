// Publishes the simulator's messages to JetStream, optionally paced to a wall-clock rate.
import { publishSubject } from "../schemas/kinds.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { simulate, type SimulatedMessage, type SimulatorOptions } from "./simulator.ts";
import type { InputOrigin } from "../runtime/ports.ts";
import type { News } from "../schemas/news.ts";
import type { Trade } from "../schemas/trade.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../sinks/jetStreamPublisher.ts";
import { NewsMessage } from "../schemas/news.ts";
import { TradeMessage } from "../schemas/trade.ts";

export interface FeedOptions extends SimulatorOptions {
  /** Messages to publish; undefined: until `durationNs` of event time, or forever. */
  readonly count?: number;
  /** Event-time span to publish. */
  readonly durationNs?: bigint;
  /** Wall-clock pace in messages per second; undefined: as fast as the server acks. */
  readonly rate?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (published: number) => void;
  /** Publish attempts per message (default 5); Infinity waits out an outage. */
  readonly attempts?: number;
}

/** The subject a simulated message is published on, and recorded with. */
export const subjectOf = (m: SimulatedMessage): string => (m.kind === "trade" ? publishSubject("trade", m.msg) : `news.${m.msg.source}`);

export function toOutgoing(m: SimulatedMessage): OutgoingMessage {
  return m.kind === "trade"
    ? { subject: subjectOf(m), data: TradeMessage.encodeBytes(m.msg), msgID: m.msg.id }
    : { subject: subjectOf(m), data: NewsMessage.encodeBytes(m.msg), msgID: m.msg.id };
}

/** Simulated messages split by kind, each with the origin a live run would record it with. */
export interface SimulatedBatch {
  readonly trades: Trade[];
  readonly tradeOrigins: InputOrigin[];
  readonly news: News[];
  readonly newsOrigins: InputOrigin[];
  /** Messages taken from the simulation (fewer than asked only when it ended). */
  readonly taken: number;
}

/**
 * The next `n` messages of a simulation as a recording holds them: trades and news apart, each with its subject and
 * a stream sequence counting from `firstSeq` in simulation order (what benches and tests record to replay).
 */
export function simulatedBatch(messages: Iterator<SimulatedMessage>, n: number, firstSeq = 1n): SimulatedBatch {
  const b: SimulatedBatch = { trades: [], tradeOrigins: [], news: [], newsOrigins: [], taken: 0 };
  let taken = 0;
  for (; taken < n; taken++) {
    const next = messages.next();
    if (next.done) break;
    const m = next.value;
    const origin = { subject: subjectOf(m), streamSeq: firstSeq + BigInt(taken) };
    if (m.kind === "trade") {
      b.trades.push(m.msg);
      b.tradeOrigins.push(origin);
    } else {
      b.news.push(m.msg);
      b.newsOrigins.push(origin);
    }
  }
  return { ...b, taken };
}

/** What a feed published: every message acked, of which `duplicates` the stream already held (same message id). */
export interface FeedResult {
  readonly published: number;
  readonly duplicates: number;
}

/** Publishes the feed; resolves with how many messages were acked and how many of them the stream already had. */
export async function publishSimulatedFeed(nc: NatsConnection, o: FeedOptions): Promise<FeedResult> {
  const publisher = new JetStreamPublisher(nc, { inFlight: 512, attempts: o.attempts });
  const gen = simulate(o);
  const end = o.durationNs === undefined ? undefined : o.startNs + o.durationNs;
  const tickMs = 50;
  const perTick = o.rate === undefined ? 4096 : Math.max(1, Math.round((o.rate * tickMs) / 1000));
  let published = 0;
  let duplicates = 0;
  let next = Date.now();
  for (;;) {
    if (o.signal?.aborted) break;
    const batch: OutgoingMessage[] = [];
    let finished = false;
    while (batch.length < perTick) {
      if (o.count !== undefined && published + batch.length >= o.count) {
        finished = true;
        break;
      }
      const m = gen.next().value!;
      if (end !== undefined && m.msg.tsEvent >= end) {
        finished = true;
        break;
      }
      batch.push(toOutgoing(m));
    }
    for (const ack of await publisher.publishAll(batch)) if (ack.duplicate) duplicates++;
    published += batch.length;
    o.onProgress?.(published);
    if (finished) break;
    if (o.rate !== undefined) {
      next += tickMs;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else next = Date.now();
    }
  }
  return { published, duplicates };
}
