// Reads what a JetStream stream holds with an ordered consumer (no durable state left behind) and checks every
// message's v2 signature (docs/signing.md): the library side of `tickflow verify`.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type RejectReason, SignatureVerifier, type SignatureVerifierOptions, type VerdictCounts, type Keyring } from "../core/signing.ts";

export interface StreamVerificationOptions extends Omit<SignatureVerifierOptions, "now"> {
  /** Streams to read. Default ORDERS and SIGNALS (orders, fills, order events, signals). */
  readonly streams?: readonly string[];
  /** Only subjects matching this filter, e.g. orders.AAPL or fills.>. */
  readonly subject?: string;
  /** Only the last N messages of each stream (by stream sequence, before the subject filter). Default: all. */
  readonly last?: number;
  /** Rejections kept in the result, first ones first. Default 20. */
  readonly keepRejections?: number;
  /** How long a fetch waits for the next message before the stream counts as read (at least 1000). Default 2000 ms. */
  readonly idleMs?: number;
}

export interface StreamRejection {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly reason: RejectReason;
}

export interface StreamVerification {
  readonly checked: number;
  readonly counts: VerdictCounts;
  /** The first `keepRejections` rejections, in stream order. */
  readonly rejections: readonly StreamRejection[];
}

/**
 * Verifies the signature of every stored message of the streams. Each timestamp is judged against the time the
 * stream stored the message (was it fresh when it arrived?), and a message id seen twice within the tolerance
 * is `replayed`: a copy that got past the duplicate window.
 * @example const r = await verifyStream(nc, loadKeyring()!, { streams: ["ORDERS"], last: 1000 }); if (r.counts.ok < r.checked) ...
 * @param keyring every key that may have signed what the streams hold
 */
export async function verifyStream(nc: NatsConnection, keyring: Keyring, o: StreamVerificationOptions = {}): Promise<StreamVerification> {
  const verifier = new SignatureVerifier(keyring, o);
  const keep = o.keepRejections ?? 20;
  const rejections: StreamRejection[] = [];
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  let checked = 0;
  for (const stream of o.streams ?? ["ORDERS", "SIGNALS"]) {
    const { state } = await (await jsm.streams.get(stream)).info();
    if (state.messages === 0) continue;
    const from = o.last === undefined ? state.first_seq : Math.max(state.first_seq, state.last_seq - o.last + 1);
    const consumer = await js.consumers.get(stream, {
      ...(o.subject ? { filter_subjects: o.subject } : {}),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    let done = false;
    while (!done) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: Math.max(1000, o.idleMs ?? 2000) });
      let got = 0;
      for await (const m of batch) {
        got++;
        checked++;
        const verdict = verifier.verify({ subject: m.subject, headers: m.headers, data: m.data }, Math.floor(m.info.timestampNanos / 1e6));
        if (!verdict.ok && rejections.length < keep)
          rejections.push({ stream, seq: m.seq, subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id") || undefined, reason: verdict.reason });
        if (m.info.pending === 0 || m.seq >= state.last_seq) {
          done = true;
          break;
        }
      }
      if (got === 0) done = true;
    }
    await consumer.delete().catch(() => undefined);
  }
  return { checked, counts: verifier.counts(), rejections };
}
