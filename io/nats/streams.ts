// The JetStream streams tickflow uses, created or updated idempotently.
import { jetstreamManager, type JetStreamManager, type StreamConfig, RetentionPolicy, StorageType, DiscardPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

const DAY_NS = 86_400_000_000_000;

/** Stream name → subjects. Dedupe window: a retried publish with the same Nats-Msg-Id within it is stored once. */
export const STREAMS: readonly Pick<StreamConfig, "name" | "subjects" | "description">[] = [
  { name: "MARKET", subjects: ["md.>"], description: "market data: md.trades.<SYMBOL>, md.bars.<TIMEFRAME>.<SYMBOL>" },
  { name: "NEWS", subjects: ["news.>"], description: "news items: news.<SOURCE>" },
  { name: "SIGNALS", subjects: ["signals.>"], description: "trading signals: signals.<SYMBOL>" },
  { name: "ORDERS", subjects: ["orders.>", "fills.>"], description: "paper orders and fills: orders.<SYMBOL>, fills.<SYMBOL>" },
  { name: "DLQ", subjects: ["dlq.>"], description: "dead letters: dlq.<STAGE>, reason in the Tickflow-Reason header" },
];

export async function ensureStreams(nc: NatsConnection, opts: { duplicateWindowNs?: number } = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  for (const s of STREAMS) {
    const config = {
      ...s,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: opts.duplicateWindowNs ?? DAY_NS,
    } as Partial<StreamConfig> & { name: string };
    try {
      await jsm.streams.info(s.name!);
      await jsm.streams.update(s.name!, config);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.streams.add(config);
    }
  }
  return jsm;
}

function isNotFound(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e);
  return /not found/i.test(msg) || (e as { code?: number }).code === 404 || (e as { api_error?: { err_code?: number } }).api_error?.err_code === 10059;
}

/** The stream that stores a subject. */
export function streamForSubject(subject: string): string {
  const first = subject.split(".")[0];
  switch (first) {
    case "md": return "MARKET";
    case "news": return "NEWS";
    case "signals": return "SIGNALS";
    case "orders": case "fills": return "ORDERS";
    case "dlq": return "DLQ";
    default: throw new Error(`no tickflow stream stores subject "${subject}" (expected md.*, news.*, signals.*, orders.*, fills.* or dlq.*)`);
  }
}
