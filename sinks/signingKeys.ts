// Where the signing keys come from: a keys file (rotation), the secrets store, or the one legacy key
// (TICKFLOW_HMAC_KEY / TICKFLOW_HMAC_KEY_FILE, key id `default`). Exactly one source; two are refused, not merged.
import { octalMode, readPrivateFile } from "../io/privateFile.ts";
import { TickflowError } from "../core/errors.ts";
import { KEY_ID_PATTERN, type Keyring } from "../core/signing.ts";

/** No key configured, or the configuration is contradictory or unreadable. */
export class SigningKeyError extends TickflowError {
  static override readonly code = "SIGNING_KEY_UNAVAILABLE";
  static override readonly refusal = true;
  override readonly name = "SigningKeyError";
}

export type KeyEnv = Readonly<Record<string, string | undefined>>;

/** The secrets store's read side: `signing/<kid>` are keys, `signing/current` the current key id (UTF-8). */
export interface SecretSource {
  get(name: string): Buffer | undefined;
  names(): readonly string[];
}

/** The key id of the legacy single key. */
export const LEGACY_KEY_ID = "default";
/** Shortest key accepted, in bytes. */
export const MIN_KEY_BYTES = 16;

const SECRET_PREFIX = "signing/";
const CURRENT_SECRET = "signing/current";

/**
 * The keyring the environment (and the secrets store, when given) configures, or undefined when none does.
 * @example loadKeyring({ env: process.env }) // TICKFLOW_SIGNING_KEYS_FILE=/etc/tickflow/keys → { currentId: "k2", keys: {k2, k1} }
 * @param o.env TICKFLOW_SIGNING_KEYS_FILE, or TICKFLOW_HMAC_KEY / TICKFLOW_HMAC_KEY_FILE (one key, id `default`)
 * @param o.secrets the secrets store; its `signing/*` entries count as a source like the variables
 */
export function loadKeyring(o: { env?: KeyEnv; secrets?: SecretSource } = {}): Keyring | undefined {
  const env = o.env ?? process.env;
  const sources: string[] = [];
  if (env.TICKFLOW_SIGNING_KEYS_FILE !== undefined) sources.push("TICKFLOW_SIGNING_KEYS_FILE");
  if (env.TICKFLOW_HMAC_KEY !== undefined) sources.push("TICKFLOW_HMAC_KEY");
  if (env.TICKFLOW_HMAC_KEY_FILE !== undefined) sources.push("TICKFLOW_HMAC_KEY_FILE");
  const secretNames = o.secrets?.names().filter((n) => n.startsWith(SECRET_PREFIX)) ?? [];
  if (secretNames.length > 0) sources.push("the secrets store (signing/*)");
  if (sources.length > 1)
    throw new SigningKeyError(
      `signing keys are configured in ${sources.length} places: ${sources.join(", ")}; keep one (TICKFLOW_SIGNING_KEYS_FILE holds several keys for rotation), so no key is picked by guess`,
    );
  if (env.TICKFLOW_SIGNING_KEYS_FILE !== undefined) return loadKeysFile(env.TICKFLOW_SIGNING_KEYS_FILE, "TICKFLOW_SIGNING_KEYS_FILE");
  if (secretNames.length > 0) return keyringFromSecrets(o.secrets!, secretNames);
  if (env.TICKFLOW_HMAC_KEY !== undefined) return single(Buffer.from(env.TICKFLOW_HMAC_KEY, "utf8"), "TICKFLOW_HMAC_KEY");
  if (env.TICKFLOW_HMAC_KEY_FILE !== undefined) {
    let key = readKeyFile(env.TICKFLOW_HMAC_KEY_FILE, "TICKFLOW_HMAC_KEY_FILE");
    if (key[key.length - 1] === 0x0a) key = key.subarray(0, key.length - (key[key.length - 2] === 0x0d ? 2 : 1));
    return single(key, `TICKFLOW_HMAC_KEY_FILE=${env.TICKFLOW_HMAC_KEY_FILE}`);
  }
  return undefined;
}

function single(key: Buffer, what: string): Keyring {
  checkLength(key, what);
  return { currentId: LEGACY_KEY_ID, keys: new Map([[LEGACY_KEY_ID, key]]) };
}

function checkLength(key: Uint8Array, what: string): void {
  if (key.length < MIN_KEY_BYTES)
    throw new SigningKeyError(`${what}: the key is ${key.length} bytes; use at least ${MIN_KEY_BYTES} (e.g. \`openssl rand -hex 32\`)`);
}

/**
 * Reads a keys file: one `kid=hexkey` per line, the first the current signing key, the others verify only.
 * Blank lines and lines starting with `#` are skipped. The file must be private to its owner (mode 0600).
 * @param what how the error names the setting, e.g. TICKFLOW_SIGNING_KEYS_FILE
 */
export function loadKeysFile(file: string, what = "keys file"): Keyring {
  return parseKeysFile(readKeyFile(file, what).toString("utf8"), `${what}=${file}`);
}

/** Parses the text of a keys file; `where` names it in errors (`<where> line 3: ...`). */
export function parseKeysFile(text: string, where: string): Keyring {
  const keys = new Map<string, Buffer>();
  let currentId: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const at = `${where} line ${i + 1}`;
    const eq = line.indexOf("=");
    if (eq < 0) throw new SigningKeyError(`${at}: expected kid=hexkey, got a line without "="`);
    const kid = line.slice(0, eq).trim();
    const hex = line.slice(eq + 1).trim();
    if (!KEY_ID_PATTERN.test(kid)) throw new SigningKeyError(`${at}: key id ${JSON.stringify(kid)} must be 1 to 64 of A-Z a-z 0-9 _ . -`);
    if (keys.has(kid)) throw new SigningKeyError(`${at}: key id ${kid} appears twice; each key id names one key`);
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new SigningKeyError(`${at}: the key of ${kid} must be hex digits, an even number of them`);
    const key = Buffer.from(hex, "hex");
    checkLength(key, `${at} (key ${kid})`);
    keys.set(kid, key);
    currentId ??= kid;
  }
  if (currentId === undefined) throw new SigningKeyError(`${where}: holds no key; write one kid=hexkey line (e.g. k1=$(openssl rand -hex 32))`);
  return { currentId, keys };
}

function keyringFromSecrets(secrets: SecretSource, names: readonly string[]): Keyring {
  const keys = new Map<string, Buffer>();
  for (const name of names) {
    if (name === CURRENT_SECRET) continue;
    const kid = name.slice(SECRET_PREFIX.length);
    if (!KEY_ID_PATTERN.test(kid)) throw new SigningKeyError(`secret ${name}: key id ${JSON.stringify(kid)} must be 1 to 64 of A-Z a-z 0-9 _ . -`);
    const key = secrets.get(name);
    if (!key) throw new SigningKeyError(`secret ${name}: listed by the secrets store but has no value`);
    checkLength(key, `secret ${name}`);
    keys.set(kid, key);
  }
  const current = secrets.get(CURRENT_SECRET)?.toString("utf8").trim();
  if (current === undefined || current === "")
    throw new SigningKeyError(
      `the secrets store holds signing keys (${[...keys.keys()].join(", ")}) but no ${CURRENT_SECRET}; store the key id to sign with there`,
    );
  if (!keys.has(current))
    throw new SigningKeyError(`secret ${CURRENT_SECRET} names key ${current}, which the store does not hold as ${SECRET_PREFIX}${current}`);
  return { currentId: current, keys };
}

/** A key file's bytes, refused when others may read it (as ssh refuses such a key): whoever reads it signs as us. */
function readKeyFile(file: string, what: string): Buffer {
  const r = readPrivateFile(file);
  if ("data" in r) return r.data;
  if (r.problem === "open-to-others")
    throw new SigningKeyError(`${what}=${file} is readable by others (mode ${octalMode(r.mode)}); make it private: chmod 600 ${file}`);
  throw new SigningKeyError(`${what}=${file}: cannot read the key file (${r.problem === "not-a-file" ? "not a regular file" : r.code})`);
}
