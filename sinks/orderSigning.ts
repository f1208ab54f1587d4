// Signs published orders, fills, order events and signals (v2, docs/signing.md) when they are sent, not when they
// are recorded: the timestamp is the publish time, so a backlog sent after an outage or a restart is not stale, and
// the outbox rows hold no signature.
import { SIGNING_HEADERS, signedHeaders, type Keyring } from "../core/signing.ts";
import { KIND_SPECS, SIGNED_KINDS, STREAMS, subjectMatches } from "../schemas/kinds.ts";
import { SigningKeyError } from "./signingKeys.ts";

export { SIGNATURE_HEADER } from "../core/signing.ts";
export { SigningKeyError, loadKeyring, type KeyEnv } from "./signingKeys.ts";

/**
 * Subject filters of the streams whose kinds are all signed. A sender sees a message, not its kind: the stream it
 * goes to decides. A stream mixing signed and unsigned kinds could not be told apart, so it is refused here.
 */
export const SIGNED_SUBJECTS: readonly string[] = STREAMS.flatMap((s) => {
  const kinds = Object.entries(KIND_SPECS).filter(([, k]) => "stream" in k && k.stream === s.name);
  const signed = kinds.filter(([name]) => SIGNED_KINDS.has(name)).length;
  if (signed > 0 && signed < kinds.length)
    throw new Error(`stream ${s.name} holds signed and unsigned kinds (${kinds.map(([n]) => n).join(", ")}): a sender could not tell which to sign`);
  return signed > 0 ? [...s.subjects] : [];
});

/** Whether a message on `subject` is one of the signed kinds. */
export const isSignedSubject = (subject: string): boolean => SIGNED_SUBJECTS.some((f) => subjectMatches(f, subject));

/** The error of publishing a signed kind without a key. */
export function unsignedError(what: string): SigningKeyError {
  return new SigningKeyError(
    `cannot publish ${what} unsigned: set TICKFLOW_SIGNING_KEYS_FILE (kid=hexkey lines, docs/signing.md) or TICKFLOW_HMAC_KEY / TICKFLOW_HMAC_KEY_FILE to the key subscribers verify with, or remove the nats sink`,
  );
}

/**
 * Signs messages as they are published, with the keyring's current key and the time of the clock.
 * @example new MessageSigner(loadKeyring()!).headers("orders.AAPL", "o-1:r0:new:0", body)
 */
export class MessageSigner {
  /**
   * @param keyring the current key signs
   * @param now unix milliseconds; default the wall clock
   */
  constructor(
    readonly keyring: Keyring,
    private readonly now: () => number = Date.now,
  ) {}

  /** The v2 headers (Tickflow-Key-Id, Tickflow-Timestamp, Tickflow-Signature) for a message sent now. */
  headers(subject: string, msgId: string, data: Uint8Array): Record<string, string> {
    return signedHeaders(this.keyring, subject, msgId, data, this.now());
  }
}

/** A message's own headers without any signature it carried (a v1 one in an outbox row written by an older version). */
export function withoutSignature(headers: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const signing = new Set(SIGNING_HEADERS.map((h) => h.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !signing.has(k.toLowerCase())));
}

/** Nats-Msg-Id of an order state: an order changes state several times under one id, each state is one message. */
export function orderStateId(o: { id: string; revision: number; status: string; filledQty: number }): string {
  return `${o.id}:r${o.revision}:${o.status}:${o.filledQty}`;
}
