// The JetStream streams tickflow uses (schemas/kinds.ts STREAMS), created or updated idempotently. Dedupe window: a
// retried publish with the same Nats-Msg-Id within it is stored once.
import { jetstreamManager, type JetStreamManager, type StreamConfig, RetentionPolicy, StorageType, DiscardPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS } from "../../schemas/kinds.ts";

const DAY_NS = 86_400_000_000_000;

export async function ensureStreams(nc: NatsConnection, opts: { duplicateWindowNs?: number } = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  for (const s of STREAMS) {
    const config = {
      name: s.name,
      subjects: [...s.subjects],
      description: s.description,
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
