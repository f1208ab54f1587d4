// The master key of the secrets store: 32 random bytes, as 64 hex characters, in a key file only its owner may read
// ($TICKFLOW_SECRETS_KEY_FILE, default <dataDir>/secrets.key) or in $TICKFLOW_SECRETS_KEY (the weaker option).
import { createHash, randomBytes } from "node:crypto";

import { dirname, join, resolve } from "node:path";
import { TickflowError } from "../core/errors.ts";
import { octalMode, readPrivateFile } from "./privateFile.ts";

/** No usable master key: none where one is needed, both variables set, a key file others can read, a malformed key, or the wrong key. */
export class SecretsKeyError extends TickflowError {
  static override readonly code = "SECRETS_KEY_UNAVAILABLE";
  static override readonly refusal = true;
  override readonly name = "SecretsKeyError";
}

/** The length of the master key (AES-256). */
export const SECRETS_KEY_BYTES = 32;

export type SecretsEnv = Readonly<Record<string, string | undefined>>;

/** Where the master key comes from: a key file, or the text of $TICKFLOW_SECRETS_KEY. */
export type SecretsKeySource = { readonly kind: "file"; readonly file: string } | { readonly kind: "env"; readonly text: string };

/** A master key and where it was read from (for messages; never the key itself). */
export interface MasterKey {
  readonly key: Buffer;
  /** The first 16 hex digits of sha256(key): names the key in the store and in messages without revealing it. */
  readonly id: string;
  readonly where: string;
}

/** The id of a master key: the first 16 hex digits of its sha256. */
export function secretsKeyId(key: Uint8Array): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** A fresh random master key. */
export function generateSecretsKey(): Buffer {
  return randomBytes(SECRETS_KEY_BYTES);
}

/** What a key file holds: the key in lowercase hex and a newline. */
export function secretsKeyFileText(key: Uint8Array): string {
  return `${Buffer.from(key).toString("hex")}\n`;
}

/** The file a rotation writes the new key to before the store is rewritten under it (see SecretStore.rotate). */
export function pendingKeyFile(keyFile: string): string {
  return `${keyFile}.new`;
}

/**
 * Where the master key of the store `storeFile` comes from: `keyFile` (an explicit path) or $TICKFLOW_SECRETS_KEY_FILE,
 * else $TICKFLOW_SECRETS_KEY, else `secrets.key` beside the store. Empty variables count as unset.
 * @throws SecretsKeyError when both a key file and $TICKFLOW_SECRETS_KEY are given
 */
export function secretsKeySource(storeFile: string, keyFile: string | undefined, env: SecretsEnv): SecretsKeySource {
  const inline = env.TICKFLOW_SECRETS_KEY || undefined;
  const file = keyFile ?? (env.TICKFLOW_SECRETS_KEY_FILE || undefined);
  if (inline !== undefined && file !== undefined)
    throw new SecretsKeyError(
      `both TICKFLOW_SECRETS_KEY and a secrets key file (${file}) are given; set only one (the file keeps the key out of the process environment)`,
    );
  if (inline !== undefined) return { kind: "env", text: inline };
  return { kind: "file", file: resolve(file ?? join(dirname(resolve(storeFile)), "secrets.key")) };
}

/** How messages name a key source: the key file's path, or TICKFLOW_SECRETS_KEY. */
export function describeKeySource(s: SecretsKeySource): string {
  return s.kind === "env" ? "TICKFLOW_SECRETS_KEY" : s.file;
}

/** The key of `text`: 64 hex digits, one trailing newline allowed. The message never quotes the text. */
export function parseSecretsKey(text: string, where: string): Buffer {
  const hex = text.replace(/\r?\n$/, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new SecretsKeyError(
      `${where} does not hold a secrets key: expected 64 hex digits (32 random bytes, as \`tickflow secrets init\` writes), got ${hex.length} characters`,
    );
  return Buffer.from(hex, "hex");
}

/** The master key of $TICKFLOW_SECRETS_KEY. */
export function envSecretsKey(text: string): MasterKey {
  const key = parseSecretsKey(text, "TICKFLOW_SECRETS_KEY");
  return { key, id: secretsKeyId(key), where: "TICKFLOW_SECRETS_KEY" };
}

/**
 * The master key in `file`, or undefined when there is no such file. Refuses a file any group or other permission
 * bit is set on (as ssh refuses such a private key): whoever can read it can read every secret.
 */
export function readSecretsKeyFile(file: string): MasterKey | undefined {
  const r = readPrivateFile(file);
  if ("data" in r) {
    const key = parseSecretsKey(r.data.toString("utf8"), `secrets key file ${file}`);
    return { key, id: secretsKeyId(key), where: file };
  }
  switch (r.problem) {
    case "missing":
      return undefined;
    case "not-a-file":
      throw new SecretsKeyError(`secrets key file ${file} is not a regular file`);
    case "open-to-others":
      throw new SecretsKeyError(
        `secrets key file ${file} is open to other users (mode ${octalMode(r.mode)}); the key decrypts every secret, so make it private: chmod 600 ${file}`,
      );
    case "unreadable":
      throw new SecretsKeyError(`secrets key file ${file}: cannot open it (${r.code})`);
  }
}
