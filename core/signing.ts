// Signed messages, version 2 (docs/signing.md): HMAC-SHA256 over the key id, the subject, the message id, the
// timestamp and the body, so a message replayed under another id, to another subject or long after is refused.
// Pure: the keys come in as bytes and the time from a clock; key files and the wire live in sinks/ and sources/.
import { createHmac, timingSafeEqual } from "node:crypto";

export const KEY_ID_HEADER = "Tickflow-Key-Id";
export const TIMESTAMP_HEADER = "Tickflow-Timestamp";
export const SIGNATURE_HEADER = "Tickflow-Signature";
/** The NATS message id header (JetStream's duplicate window); part of what is signed. */
export const MSG_ID_HEADER = "Nats-Msg-Id";
/** The headers the signer sets; a stale copy of them is replaced, never kept beside a new one. */
export const SIGNING_HEADERS: readonly string[] = [KEY_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER];

/** What a key id may look like: it travels in a header and names a line of a keys file. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Default tolerance between the signer's clock and the verifier's: 5 minutes. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;
/** Default number of message ids the replay guard holds at most (about 3,300 messages per second over 5 minutes). */
export const DEFAULT_REPLAY_CAPACITY = 1_000_000;

const PREFIX = "tickflow-v2";
const SIGNATURE = /^v2=([0-9a-f]{64})$/;
const TIMESTAMP = /^(0|[1-9][0-9]{0,15})$/;
const utf8 = new TextEncoder();

/**
 * The keys of one signer or verifier. `currentId` signs; every key in `keys` verifies, so a key can be rotated:
 * add the new one, make it current, retire the old one once nothing signed under it is in flight.
 */
export interface Keyring {
  readonly currentId: string;
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/** What is signed besides the body. */
export interface SignedFields {
  readonly keyId: string;
  readonly subject: string;
  readonly msgId: string;
  /** Unix milliseconds. */
  readonly timestamp: number;
}

/** Why a message was refused. `bad-signature` also covers a message re-published to another subject. */
export type RejectReason = "unsigned" | "malformed" | "unknown-key" | "bad-signature" | "expired" | "future" | "replayed";
export const REJECT_REASONS: readonly RejectReason[] = ["unsigned", "malformed", "unknown-key", "bad-signature", "expired", "future", "replayed"];

export type Verdict = { readonly ok: true; readonly keyId: string } | { readonly ok: false; readonly reason: RejectReason };

/** Message headers as a plain record or as NATS headers (whose `get` answers "" for a missing header). */
export type HeaderSource = Readonly<Record<string, string | undefined>> | { get(name: string): string | undefined };

/** A received message: the subject it arrived on, its headers, its data exactly as received. */
export interface ReceivedMessage {
  readonly subject: string;
  readonly headers?: HeaderSource;
  readonly data: Uint8Array;
}

/** A signing field that is malformed: names it, so the signer's error says what to fix. */
function fieldProblem(f: SignedFields): string | undefined {
  if (!KEY_ID_PATTERN.test(f.keyId)) return `key id ${JSON.stringify(f.keyId)} must match ${KEY_ID_PATTERN.source}`;
  for (const [name, v] of [
    ["subject", f.subject],
    ["message id", f.msgId],
  ] as const) {
    if (v.length === 0) return `the ${name} is empty`;
    if (v.includes("\n")) return `the ${name} ${JSON.stringify(v)} contains a newline`;
  }
  if (!Number.isSafeInteger(f.timestamp) || f.timestamp < 0) return `the timestamp ${f.timestamp} is not a non-negative integer of milliseconds`;
  return undefined;
}

/**
 * The bytes the HMAC covers: UTF-8 of `tickflow-v2\n<kid>\n<subject>\n<msgId>\n<timestamp>\n`, then the body.
 * @example canonicalBytes({ keyId: "k1", subject: "orders.AAPL", msgId: "o-1", timestamp: 1700000000000 }, body)
 * @param fields what is signed besides the body; a field with a newline throws (it would make two messages sign alike)
 */
export function canonicalBytes(fields: SignedFields, body: Uint8Array): Uint8Array {
  const problem = fieldProblem(fields);
  if (problem) throw new Error(`cannot sign message ${JSON.stringify(fields.msgId)} on ${fields.subject}: ${problem}`);
  const head = utf8.encode(`${PREFIX}\n${fields.keyId}\n${fields.subject}\n${fields.msgId}\n${fields.timestamp}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Lowercase hex HMAC-SHA256 of the canonical bytes (without the `v2=` prefix). */
export function signV2(key: Uint8Array, fields: SignedFields, body: Uint8Array): string {
  return createHmac("sha256", key).update(canonicalBytes(fields, body)).digest("hex");
}

/**
 * The v2 headers for a message signed now with the keyring's current key (Nats-Msg-Id is set by the publisher).
 * @example signedHeaders(keyring, "orders.AAPL", "o-1:r0:new:0", body, Date.now())
 */
export function signedHeaders(keyring: Keyring, subject: string, msgId: string, body: Uint8Array, nowMs: number): Record<string, string> {
  const key = keyring.keys.get(keyring.currentId);
  if (!key) throw new Error(`the keyring's current key ${JSON.stringify(keyring.currentId)} is not among its keys`);
  const fields = { keyId: keyring.currentId, subject, msgId, timestamp: nowMs };
  return { [KEY_ID_HEADER]: fields.keyId, [TIMESTAMP_HEADER]: String(nowMs), [SIGNATURE_HEADER]: `v2=${signV2(key, fields, body)}` };
}

function header(h: HeaderSource | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const v = typeof h.get === "function" ? (h as { get(n: string): string | undefined }).get(name) : (h as Record<string, string | undefined>)[name];
  return v === undefined || v === "" ? undefined : v;
}

export interface SignatureVerifierOptions {
  /** How far a timestamp may lie behind (`expired`) or ahead of (`future`) the clock. Default 5 minutes. */
  readonly toleranceMs?: number;
  /** Unix milliseconds now. Default: the wall clock (Date.now); a test or a replay passes its own. */
  readonly now?: () => number;
  /** Message ids the replay guard holds at most; past it the oldest are forgotten (counted as `evicted`). Default 1,000,000. */
  readonly replayCapacity?: number;
}

export type VerdictCounts = Readonly<Record<"ok" | RejectReason, number>>;

/**
 * Checks v2 signatures: the key, the signature over the subject the message arrived on, the timestamp within the
 * tolerance of the clock, and the message id not seen before within that window. Counts every verdict.
 * @example
 * const v = new SignatureVerifier(keyring);
 * const verdict = v.verify({ subject: m.subject, headers: m.headers, data: m.data });
 * if (!verdict.ok) deadLetter(m, `signature: ${verdict.reason}`);
 */
export class SignatureVerifier {
  readonly toleranceMs: number;
  private readonly now: () => number;
  private readonly capacity: number;
  /** Message id → its timestamp, of messages accepted within the window. */
  private readonly seen = new Map<string, number>();
  private nextPrune = Number.NEGATIVE_INFINITY;
  private readonly tally: Record<"ok" | RejectReason, number> = {
    ok: 0,
    unsigned: 0,
    malformed: 0,
    "unknown-key": 0,
    "bad-signature": 0,
    expired: 0,
    future: 0,
    replayed: 0,
  };
  private dropped = 0;

  /** @param keyring the keys that verify (all of them, not only the current one) */
  constructor(
    private keyring: Keyring,
    o: SignatureVerifierOptions = {},
  ) {
    this.toleranceMs = o.toleranceMs ?? DEFAULT_TOLERANCE_MS;
    if (!(this.toleranceMs > 0)) throw new Error(`the signature tolerance must be a positive number of milliseconds, got ${this.toleranceMs}`);
    this.now = o.now ?? Date.now;
    this.capacity = o.replayCapacity ?? DEFAULT_REPLAY_CAPACITY;
  }

  /** Replaces the keys (a rotation) without forgetting the ids seen. */
  setKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  /**
   * The verdict on one message. Only an authentic message enters the replay guard, so a forgery that copies a real
   * message id cannot get the real message refused.
   * @param atMs the time to judge the timestamp against; default the clock (`tickflow verify` passes the time the stream stored it)
   * @param o.redelivery the server delivers this message again (JetStream `redelivered`): a repeat of its id is expected, not a replay
   */
  verify(m: ReceivedMessage, atMs: number = this.now(), o: { readonly redelivery?: boolean } = {}): Verdict {
    const verdict = this.judge(m, atMs, o.redelivery === true);
    this.tally[verdict.ok ? "ok" : verdict.reason]++;
    return verdict;
  }

  /** How many messages got each verdict so far. */
  counts(): VerdictCounts {
    return { ...this.tally };
  }

  /** Message ids the replay guard forgot before their window ended because it was full (0 unless it is too small). */
  get evicted(): number {
    return this.dropped;
  }

  private judge(m: ReceivedMessage, at: number, redelivery: boolean): Verdict {
    const signature = header(m.headers, SIGNATURE_HEADER);
    if (signature === undefined) return { ok: false, reason: "unsigned" };
    const hex = SIGNATURE.exec(signature)?.[1];
    const keyId = header(m.headers, KEY_ID_HEADER);
    const ts = header(m.headers, TIMESTAMP_HEADER);
    const msgId = header(m.headers, MSG_ID_HEADER);
    if (hex === undefined || keyId === undefined || ts === undefined || msgId === undefined) return { ok: false, reason: "malformed" };
    const fields: SignedFields = { keyId, subject: m.subject, msgId, timestamp: Number(ts) };
    if (!TIMESTAMP.test(ts) || fieldProblem(fields) !== undefined) return { ok: false, reason: "malformed" };
    const key = this.keyring.keys.get(keyId);
    if (!key) return { ok: false, reason: "unknown-key" };
    // Both sides are 32 bytes (the pattern above), as timingSafeEqual needs.
    if (!timingSafeEqual(Buffer.from(signV2(key, fields, m.data), "hex"), Buffer.from(hex, "hex"))) return { ok: false, reason: "bad-signature" };
    if (fields.timestamp < at - this.toleranceMs) return { ok: false, reason: "expired" };
    if (fields.timestamp > at + this.toleranceMs) return { ok: false, reason: "future" };
    this.prune(at);
    if (this.seen.has(msgId)) return redelivery ? { ok: true, keyId } : { ok: false, reason: "replayed" };
    this.seen.set(msgId, fields.timestamp);
    if (this.seen.size > this.capacity) {
      this.seen.delete(this.seen.keys().next().value!);
      this.dropped++;
    }
    return { ok: true, keyId };
  }

  /** Forgets ids whose timestamp left the window: a repeat of one is refused as expired. Sweeps every quarter window. */
  private prune(at: number): void {
    if (at < this.nextPrune) return;
    this.nextPrune = at + this.toleranceMs / 4;
    const floor = at - this.toleranceMs;
    for (const [id, ts] of this.seen) if (ts < floor) this.seen.delete(id);
  }

  /** Message ids the replay guard holds now. */
  get tracked(): number {
    return this.seen.size;
  }
}

/** Where a JetStream message stands: when the stream stored it, and whether this is a redelivery. */
export interface DeliveryInfo {
  /** Unix milliseconds the stream stored the message (JsMsg `info.timestampNanos / 1e6`). */
  readonly storedMs?: number;
  readonly redelivered?: boolean;
}

/**
 * The verdict on one market-data message of a source that requires a feed signature (same scheme, a feed keyring).
 * With `storedMs` the timestamp is judged against the time the stream stored the message, so a backlog read after
 * a restart is not expired; without it, against the verifier's clock.
 * @example const verdict = verifyFeedMessage(feedVerifier, { subject: m.subject, headers: m.headers, data: m.data }, { storedMs: m.info.timestampNanos / 1e6, redelivered: m.info.redelivered });
 */
export function verifyFeedMessage(verifier: SignatureVerifier, m: ReceivedMessage, at: DeliveryInfo = {}): Verdict {
  return verifier.verify(m, at.storedMs === undefined ? undefined : Math.floor(at.storedMs), { redelivery: at.redelivered });
}
