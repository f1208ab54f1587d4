// HMAC-SHA256 signatures on published orders, fills and order events, so a subscriber can check that an order
// on orders.<SYMBOL> came from a holder of the key and was not altered. Reproducible in any language:
//   signature = lowercase hex of HMAC-SHA256(key, body), body = the NATS message data exactly as received
//   key = the UTF-8 bytes of $TICKFLOW_HMAC_KEY, or the bytes of the file $TICKFLOW_HMAC_KEY_FILE names
//         (one trailing newline stripped); header: Tickflow-Signature: <hex>
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { SIGNED_KINDS } from "../schemas/kinds.ts";
import { TickflowError } from "../core/errors.ts";

export const SIGNATURE_HEADER = "Tickflow-Signature";

/** No key configured, or the configuration is contradictory or unreadable. */
export class SigningKeyError extends TickflowError {
  static override readonly code = "SIGNING_KEY_UNAVAILABLE";
  override readonly name = "SigningKeyError";
}

export type KeyEnv = Readonly<Record<string, string | undefined>>;

let cached: { env?: string; file?: string; key?: Buffer } = {};

/** The signing key from the environment, or undefined when none is configured. */
export function signingKeyFromEnv(env: KeyEnv = process.env): Buffer | undefined {
  const inline = env.TICKFLOW_HMAC_KEY;
  const file = env.TICKFLOW_HMAC_KEY_FILE;
  if (cached.env === inline && cached.file === file) return cached.key;
  if (inline !== undefined && file !== undefined) {
    throw new SigningKeyError(
      "both TICKFLOW_HMAC_KEY and TICKFLOW_HMAC_KEY_FILE are set; set only one (the file keeps the key out of the process list and shell history)",
    );
  }
  let key: Buffer | undefined;
  if (inline !== undefined) key = Buffer.from(inline, "utf8");
  else if (file !== undefined) {
    // A key anyone else on the machine can read signs orders for them too: refuse it, as ssh refuses such a key.
    let mode: number | undefined;
    try {
      mode = statSync(file).mode;
    } catch {
      // Reported by the read below, with its code.
    }
    if (mode !== undefined && (mode & 0o077) !== 0)
      throw new SigningKeyError(
        `TICKFLOW_HMAC_KEY_FILE=${file} is readable by others (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); make it private: chmod 600 ${file}`,
      );
    try {
      key = readFileSync(file);
    } catch (e) {
      throw new SigningKeyError(`TICKFLOW_HMAC_KEY_FILE=${file}: cannot read the key file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
        cause: e,
      });
    }
    if (key[key.length - 1] === 0x0a) key = key.subarray(0, key.length - (key[key.length - 2] === 0x0d ? 2 : 1));
  }
  if (key !== undefined && key.length < 16) throw new SigningKeyError(`the HMAC key is ${key.length} bytes; use at least 16 (e.g. \`openssl rand -hex 32\`)`);
  cached = { env: inline, file, key };
  return key;
}

/** Lowercase hex HMAC-SHA256 of the exact payload bytes. */
export function signPayload(payload: Uint8Array | string, key: Uint8Array | string): string {
  return createHmac("sha256", key).update(payload).digest("hex");
}

/**
 * Checks a received message: `payload` is the message data as received (do not re-serialise it),
 * `signature` the Tickflow-Signature header. Constant-time comparison.
 */
export function verifyOrderSignature(payload: Uint8Array | string, signature: string | undefined, key: Uint8Array | string): boolean {
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signPayload(payload, key), "hex"), Buffer.from(signature, "hex"));
}

/** The signature header for a published item of `kind`, or none for kinds that are not signed. */
export function signatureHeaders(kind: string, payload: Uint8Array, env: KeyEnv = process.env): Record<string, string> {
  if (!SIGNED_KINDS.has(kind)) return {};
  const key = signingKeyFromEnv(env);
  if (!key) {
    throw new SigningKeyError(
      `cannot publish ${kind} messages unsigned: set TICKFLOW_HMAC_KEY (or TICKFLOW_HMAC_KEY_FILE) to the HMAC-SHA256 key subscribers verify orders with, or remove the nats sink of the ${kind} node`,
    );
  }
  return { [SIGNATURE_HEADER]: signPayload(payload, key) };
}

/** Nats-Msg-Id of an order state: an order changes state several times under one id, each state is one message. */
export function orderStateId(o: { id: string; revision: number; status: string; filledQty: number }): string {
  return `${o.id}:r${o.revision}:${o.status}:${o.filledQty}`;
}
