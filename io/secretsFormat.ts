// The secrets store file (version 1): its schema, reading and writing it, and sealing one value with AES-256-GCM
// under the secret's name as additional authenticated data. io/secrets.ts holds the store around it.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { TickflowError } from "../core/errors.ts";
import { replacePrivateFile } from "./privateFile.ts";
import type { MasterKey } from "./secretsKey.ts";

/** The store file is not a secrets store, an entry fails authentication, or another process holds it or changed its key. */
export class SecretsStoreError extends TickflowError {
  static override readonly code = "SECRETS_STORE_FAILED";
  override readonly name = "SecretsStoreError";
}

/** A secret name outside `[a-z0-9][a-z0-9._/-]{0,127}`. */
export class SecretNameError extends TickflowError {
  static override readonly code = "SECRET_NAME_INVALID";
  override readonly name = "SecretNameError";
}

const NAME = /^[a-z0-9][a-z0-9._/-]{0,127}$/;
const FORMAT_VERSION = 1;

/** `name` when it is a valid secret name (`nats/pipeline`, `signing/current`, `broker.alpaca/key`). */
export function checkSecretName(name: string): string {
  if (!NAME.test(name))
    throw new SecretNameError(
      `secret name ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)} is invalid: use 1 to 128 of a-z 0-9 . _ / -, starting with a letter or digit (e.g. nats/pipeline, signing/current)`,
    );
  return name;
}

/** One encrypted value as the file holds it, decoded. */
export interface Sealed {
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly data: Buffer;
  readonly updatedAt: string;
}

/** The content of a store file. */
export interface Stored {
  readonly keyId: string;
  readonly secrets: ReadonlyMap<string, Sealed>;
}

/** `plain` encrypted under `key` for the secret `name`, with a fresh iv. */
export function seal(key: Buffer, name: string, plain: Uint8Array, updatedAt: string): Sealed {
  const iv = generateIv();
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  c.setAAD(Buffer.from(name, "utf8"));
  const data = Buffer.concat([c.update(plain), c.final()]);
  return { iv, tag: c.getAuthTag(), data, updatedAt };
}

function generateIv(): Buffer {
  // 12 random bytes per encryption: with far fewer than 2^32 encryptions per key, a repeated IV is negligible.
  return randomBytes(12);
}

/**
 * The value of the secret `name` of the store `file`.
 * @throws SecretsStoreError naming the entry when it fails authentication
 */
export function unseal(file: string, name: string, s: Sealed, key: MasterKey): Buffer {
  const d = createDecipheriv("aes-256-gcm", key.key, s.iv, { authTagLength: 16 });
  d.setAAD(Buffer.from(name, "utf8"));
  d.setAuthTag(s.tag);
  try {
    return Buffer.concat([d.update(s.data), d.final()]);
  } catch (e) {
    throw new SecretsStoreError(`secret ${name} in ${file} failed authentication: the file was altered or encrypted under another key`, { cause: e });
  }
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");
const EntrySchema = z.object({ iv: Base64, tag: Base64, data: Base64, updatedAt: z.iso.datetime() });
const StoreSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex digits"),
  secrets: z.record(z.string(), EntrySchema),
});

/** The store in `file`, or undefined when there is no such file. */
export function readStore(file: string): Stored | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SecretsStoreError(`secrets store ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SecretsStoreError(`secrets store ${file} is not JSON (${(e as Error).message}): restore it from a backup`, { cause: e });
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === "number" && version > FORMAT_VERSION)
    throw new SecretsStoreError(`secrets store ${file} is format version ${version}; this tickflow reads version ${FORMAT_VERSION}: upgrade tickflow`);
  const r = StoreSchema.safeParse(json);
  if (!r.success)
    throw new SecretsStoreError(
      `secrets store ${file} is not a tickflow secrets store: ${r.error.issues.map((i) => `${i.path.join(".") || "(top)"} ${i.message}`).join("; ")}`,
    );
  const secrets = new Map<string, Sealed>();
  for (const [name, e] of Object.entries(r.data.secrets)) {
    if (!NAME.test(name)) throw new SecretsStoreError(`secrets store ${file}: entry ${JSON.stringify(name)} is not a valid secret name`);
    const s = { iv: Buffer.from(e.iv, "base64"), tag: Buffer.from(e.tag, "base64"), data: Buffer.from(e.data, "base64"), updatedAt: e.updatedAt };
    if (s.iv.length !== 12 || s.tag.length !== 16)
      throw new SecretsStoreError(`secrets store ${file}: secret ${name} has a ${s.iv.length}-byte iv and a ${s.tag.length}-byte tag, expected 12 and 16`);
    secrets.set(name, s);
  }
  return { keyId: r.data.keyId, secrets };
}

/** Replaces `file` (mode 0600, atomically) with a store of `secrets` under the key `keyId`. */
export function writeStore(file: string, keyId: string, secrets: ReadonlyMap<string, Sealed>): void {
  const entries = [...secrets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const json = {
    version: FORMAT_VERSION,
    keyId,
    secrets: Object.fromEntries(
      entries.map(([name, s]) => [
        name,
        { iv: s.iv.toString("base64"), tag: s.tag.toString("base64"), data: s.data.toString("base64"), updatedAt: s.updatedAt },
      ]),
    ),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  replacePrivateFile(file, `${JSON.stringify(json, null, 2)}\n`);
}
