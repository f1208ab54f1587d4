// Publishes the simulator's messages to JetStream, optionally paced to a wall-clock rate.
import { publishSubject } from "../schemas/kinds.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { simulate, type SimulatorOptions } from "./simulator.ts";
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

export function toOutgoing(m: ReturnType<typeof simulate> extends Generator<infer T> ? T : never): OutgoingMessage {
  return m.kind === "trade"
    ? { subject: publishSubject("trade", m.msg), data: TradeMessage.encodeBytes(m.msg), msgID: m.msg.id }
    : { subject: `news.${m.msg.source}`, data: NewsMessage.encodeBytes(m.msg), msgID: m.msg.id };
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
