// Secrets (NATS credentials, HMAC keys, broker API keys) encrypted at rest: <dataDir>/secrets.json holds each value
// AES-256-GCM-encrypted under the master key of io/secretsKey.ts. Synchronous: read at start, never on the hot path.
//
// The file, versioned and readable in any language:
//   { "version": 1, "keyId": "<first 16 hex of sha256(master key)>",
//     "secrets": { "<name>": { "iv": b64 (12 bytes), "tag": b64 (16), "data": b64, "updatedAt": ISO-8601 } } }
//   data = AES-256-GCM(master key, iv, value) with the secret's name (UTF-8) as additional authenticated data, so an
//   entry moved under another name fails authentication.
// No value is ever logged or put in a message; `names()` and `list()` read no value.
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { withFileLock } from "./fileLock.ts";
import { loadConfig } from "./config.ts";
import { createPrivateFile, renameDurably } from "./privateFile.ts";
import { checkSecretName, readStore, type Sealed, SecretsStoreError, type Stored, seal, unseal, writeStore } from "./secretsFormat.ts";
import {
  describeKeySource,
  envSecretsKey,
  generateSecretsKey,
  type MasterKey,
  pendingKeyFile,
  readSecretsKeyFile,
  SECRETS_KEY_BYTES,
  SecretsKeyError,
  type SecretsEnv,
  type SecretsKeySource,
  secretsKeyFileText,
  secretsKeyId,
  secretsKeySource,
} from "./secretsKey.ts";

export { checkSecretName, SecretNameError, SecretsStoreError } from "./secretsFormat.ts";
export { SecretsKeyError } from "./secretsKey.ts";

/** The store file of a data directory: `<dataDir>/secrets.json`. */
export function secretsFile(dataDir: string): string {
  return join(dataDir, "secrets.json");
}

export interface SecretStoreOptions {
  /** The store file; `secretsFile(loadConfig().dataDir)` is where the CLI keeps it. */
  readonly file: string;
  /** The key file. Default: $TICKFLOW_SECRETS_KEY_FILE, else the key in $TICKFLOW_SECRETS_KEY, else `secrets.key` beside the store. */
  readonly keyFile?: string;
  /** Where TICKFLOW_SECRETS_KEY(_FILE) are read. Default: process.env. */
  readonly env?: SecretsEnv;
  /** Create the key file (random, mode 0600) and an empty store when absent. Default: false. */
  readonly create?: boolean;
  /** How long a write waits for another writer's lock (`<file>.lock`). Default: 2000 ms. */
  readonly lockTimeoutMs?: number;
  /** The clock of `updatedAt`. Default: the wall clock. */
  readonly now?: () => Date;
}

/** What `list()` tells about a secret: never its value. */
export interface SecretInfo {
  readonly name: string;
  readonly updatedAt: string;
  /** The length of the value in bytes. */
  readonly bytes: number;
}

/** The durable points of a rotation, in order (see `rotate`). */
export type RotationStep = "pendingKeyWritten" | "storeRewritten" | "keyReplaced";

export interface Rotation {
  readonly previousKeyId: string;
  readonly keyId: string;
  readonly keyFile: string;
  /** How many secrets were re-encrypted. */
  readonly secrets: number;
}

/**
 * The encrypted secrets of one store file.
 *
 * @example
 * const secrets = SecretStore.open({ file: secretsFile(config.dataDir) });
 * const password = secrets.getString("nats/pipeline"); // undefined when not set
 */
export class SecretStore {
  readonly file: string;
  readonly keySource: SecretsKeySource;
  /** The key file `open` created (with `create: true`), if it did. */
  readonly createdKeyFile: string | undefined;
  readonly #lockTimeoutMs: number;
  readonly #now: () => Date;
  #key: MasterKey | undefined;
  #secrets: ReadonlyMap<string, Sealed>;

  private constructor(
    file: string,
    source: SecretsKeySource,
    key: MasterKey | undefined,
    stored: Stored | undefined,
    created: string | undefined,
    o: SecretStoreOptions,
  ) {
    this.file = file;
    this.keySource = source;
    this.createdKeyFile = created;
    this.#key = key;
    this.#secrets = stored?.secrets ?? new Map();
    this.#lockTimeoutMs = o.lockTimeoutMs ?? 2000;
    this.#now = o.now ?? (() => new Date());
  }

  /**
   * Opens the store. A missing store file is an empty store; a missing key is an error only when the store holds
   * secrets (or on the first `set`). Finishes a rotation a crash interrupted after the store was rewritten.
   * @throws SecretsKeyError for a wrong, malformed, missing or unprotected key; SecretsStoreError for a damaged file
   */
  static open(o: SecretStoreOptions): SecretStore {
    const file = resolve(o.file);
    const source = secretsKeySource(file, o.keyFile, o.env ?? process.env);
    let { stored, key } = loadConsistent(file, source);
    let created: string | undefined;
    if (o.create) {
      if (!key && source.kind === "file") {
        mkdirSync(dirname(source.file), { recursive: true, mode: 0o700 });
        const fresh = generateSecretsKey();
        try {
          createPrivateFile(source.file, secretsKeyFileText(fresh));
          created = source.file;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST")
            throw new SecretsKeyError(`secrets key file ${source.file}: cannot create it (${(e as Error).message})`, { cause: e });
          // Another process created it meanwhile: use theirs.
        }
        fresh.fill(0);
        key = readSecretsKeyFile(source.file);
      }
      // No store yet, or an empty one whose key is gone (nothing to lose): start one under this key.
      if (key && (!stored || (stored.secrets.size === 0 && stored.keyId !== key.id))) {
        const k = key;
        withLock(file, o.lockTimeoutMs ?? 2000, () => {
          const now = readStore(file);
          if (!now || (now.secrets.size === 0 && now.keyId !== k.id)) writeStore(file, k.id, new Map());
        });
        ({ stored, key } = loadConsistent(file, source));
      }
    }
    if (key && source.kind === "file" && readSecretsKeyFile(source.file)?.id !== key.id) {
      // The store is under the key an interrupted rotation left in `<keyfile>.new`: finish it, if no writer is busy.
      const k = key;
      try {
        withLock(file, 0, () => readStore(file)?.keyId === k.id && finishRotation(source.file, k.id));
      } catch {
        // Busy or read-only: the key in `.new` opens the store all the same; the next write finishes the rotation.
      }
    }
    return new SecretStore(file, source, key, stored, created, o);
  }

  /** The id of the master key the store is encrypted under (undefined while there is no key). */
  get keyId(): string | undefined {
    return this.#key?.id;
  }

  /** The names of the secrets, sorted. */
  names(): readonly string[] {
    return [...this.#secrets.keys()].sort();
  }

  has(name: string): boolean {
    return this.#secrets.has(checkSecretName(name));
  }

  /** Name, last update and size of every secret, sorted by name; reads no value. */
  list(): SecretInfo[] {
    return this.names().map((name) => {
      const s = this.#secrets.get(name)!;
      return { name, updatedAt: s.updatedAt, bytes: s.data.length };
    });
  }

  /**
   * The value of `name` (a fresh copy), or undefined when it is not set.
   * @throws SecretsStoreError naming the entry when it fails authentication (altered, or moved from another name)
   */
  get(name: string): Buffer | undefined {
    const sealed = this.#secrets.get(checkSecretName(name));
    return sealed && unseal(this.file, name, sealed, this.#requireKey());
  }

  /** The value of `name` as UTF-8 text (a password, a token), or undefined when it is not set. */
  getString(name: string): string | undefined {
    const value = this.get(name);
    if (!value) return undefined;
    const text = value.toString("utf8");
    value.fill(0);
    return text;
  }

  /** Decrypts every entry, throwing for the first that fails authentication; reveals nothing. */
  verify(): void {
    for (const name of this.names()) this.get(name)!.fill(0);
  }

  /** Sets `name` to `value` (text is stored as UTF-8) and writes the store atomically. */
  set(name: string, value: Uint8Array | string): void {
    checkSecretName(name);
    const plain = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    const updatedAt = this.#now().toISOString();
    this.#mutate((secrets, key) => secrets.set(name, seal(key.key, name, plain, updatedAt)));
  }

  /** Removes `name`; returns whether it was set. */
  delete(name: string): boolean {
    checkSecretName(name);
    let had = false;
    this.#mutate((secrets) => {
      had = secrets.delete(name);
    });
    return had;
  }

  /**
   * Re-encrypts every secret under a new master key (`newKey`, default: 32 random bytes) and replaces the key file.
   * The order keeps a key that opens the store on disk at every point:
   *   1. the new key goes to `<keyfile>.new` (mode 0600, fsynced); the store is still under the old key in `<keyfile>`;
   *   2. the store is rewritten under the new key (temp file, fsync, rename): `<keyfile>.new` now opens it;
   *   3. `<keyfile>.new` is renamed over `<keyfile>`.
   * A crash after 1 leaves a stale `.new` (removed by the next rotation); after 2, `open` finds the store's key in
   * `.new` and finishes step 3. The old key stays in the key file until the store no longer needs it, so no
   * `<keyfile>.previous` is kept. `onStep` is for tests: a throw there stops the rotation as a crash would.
   * @throws SecretsKeyError when the key comes from TICKFLOW_SECRETS_KEY (there is no file to put the new key in)
   */
  rotate(newKey?: Uint8Array, onStep: (step: RotationStep) => void = () => undefined): Rotation {
    const old = this.#requireKey();
    const source = this.keySource;
    if (source.kind !== "file")
      throw new SecretsKeyError(
        "the secrets key comes from TICKFLOW_SECRETS_KEY, so rotating has no key file to write the new key to: put the key in a file (mode 0600), set TICKFLOW_SECRETS_KEY_FILE to it instead, then rotate",
      );
    const next = newKey ? Buffer.from(newKey) : generateSecretsKey();
    if (next.length !== SECRETS_KEY_BYTES) throw new SecretsKeyError(`a secrets key is ${SECRETS_KEY_BYTES} bytes, got ${next.length}`);
    const nextId = secretsKeyId(next);
    if (nextId === old.id) throw new SecretsKeyError(`the new secrets key is the current one (${old.id})`);
    const pending = pendingKeyFile(source.file);
    return withLock(this.file, this.#lockTimeoutMs, () => {
      const disk = this.#readUnchanged(old);
      if (!finishRotation(source.file, old.id)) throw new SecretsStoreError(`${source.file} changed since the store was opened: open it again`);
      rmSync(pending, { force: true }); // a rotation that stopped before rewriting the store: its key encrypts nothing
      const plain = new Map([...disk.secrets].map(([name, s]) => [name, unseal(this.file, name, s, old)] as const));
      createPrivateFile(pending, secretsKeyFileText(next));
      onStep("pendingKeyWritten");
      const resealed = new Map([...plain].map(([name, p]) => [name, seal(next, name, p, disk.secrets.get(name)!.updatedAt)] as const));
      for (const p of plain.values()) p.fill(0);
      writeStore(this.file, nextId, resealed);
      this.#key = { key: next, id: nextId, where: source.file };
      this.#secrets = resealed;
      old.key.fill(0);
      onStep("storeRewritten");
      renameDurably(pending, source.file);
      onStep("keyReplaced");
      return { previousKeyId: old.id, keyId: nextId, keyFile: source.file, secrets: resealed.size };
    });
  }

  #requireKey(): MasterKey {
    if (this.#key) return this.#key;
    throw new SecretsKeyError(
      `no secrets key: ${describeKeySource(this.keySource)} does not exist; create it with \`tickflow secrets init\`, or set TICKFLOW_SECRETS_KEY_FILE to the key file`,
    );
  }

  /** Read-modify-write under the lock, from what is on disk (another process may have set a secret since open). */
  #mutate(change: (secrets: Map<string, Sealed>, key: MasterKey) => void): void {
    const key = this.#requireKey();
    withLock(this.file, this.#lockTimeoutMs, () => {
      const secrets = new Map(this.#readUnchanged(key).secrets);
      if (this.keySource.kind === "file") finishRotation(this.keySource.file, key.id);
      change(secrets, key);
      writeStore(this.file, key.id, secrets);
      this.#secrets = secrets;
    });
  }

  /** The store on disk, when it is still under `key`. */
  #readUnchanged(key: MasterKey): Stored {
    const disk = readStore(this.file);
    if (disk && disk.keyId !== key.id)
      throw new SecretsStoreError(
        `${this.file} was re-encrypted under key ${disk.keyId} since it was opened under ${key.id} (another process rotated the key): open it again`,
      );
    return disk ?? { keyId: key.id, secrets: new Map() };
  }
}

/** The store in `dataDir` of the environment's configuration (TICKFLOW_DATA, default data/). */
export function openConfiguredSecrets(env: NodeJS.ProcessEnv = process.env, create = false): SecretStore {
  return SecretStore.open({ file: secretsFile(loadConfig(env).dataDir), env, create });
}

/**
 * The store and the key that opens it. Readers take no lock, so a rotation in another process may fall between
 * reading the store and reading the key files: a mismatch is read again twice before it is reported.
 */
function loadConsistent(file: string, source: SecretsKeySource): { stored: Stored | undefined; key: MasterKey | undefined } {
  for (let attempt = 1; ; attempt++) {
    const stored = readStore(file);
    const key = source.kind === "env" ? envSecretsKey(source.text) : readSecretsKeyFile(source.file);
    if (!stored || key?.id === stored.keyId) return { stored, key };
    if (source.kind === "file") {
      const pending = readPendingKey(pendingKeyFile(source.file));
      if (pending?.id === stored.keyId) return { stored, key: { ...pending, where: source.file } };
    }
    if (!key && stored.secrets.size === 0) return { stored, key };
    if (attempt < 3) continue;
    if (!key)
      throw new SecretsKeyError(
        `${file} holds ${stored.secrets.size} secret(s) encrypted under key ${stored.keyId}, but ${describeKeySource(source)} does not exist: restore that key file, or set TICKFLOW_SECRETS_KEY_FILE to it`,
      );
    throw new SecretsKeyError(
      `${file} was encrypted under key ${stored.keyId}, the key in ${key.where} is ${key.id}: wrong key file? (set TICKFLOW_SECRETS_KEY_FILE to the key this store was written with)`,
    );
  }
}

/**
 * Makes `keyFile` hold the key `keyId` when an interrupted rotation left it in `<keyfile>.new`; call it holding the
 * lock, with the store checked to be under `keyId`. Returns whether `keyFile` holds that key now.
 */
function finishRotation(keyFile: string, keyId: string): boolean {
  if (readSecretsKeyFile(keyFile)?.id === keyId) return true;
  if (readPendingKey(pendingKeyFile(keyFile))?.id !== keyId) return false;
  renameDurably(pendingKeyFile(keyFile), keyFile);
  return true;
}

/** The key a rotation left in `<keyfile>.new`, or undefined when there is none or it was torn by a crash. */
function readPendingKey(file: string): MasterKey | undefined {
  try {
    return readSecretsKeyFile(file);
  } catch {
    return undefined;
  }
}

/** Runs `fn` holding `<file>.lock`: every writer of the store (set, delete, rotate, create) takes it. */
function withLock<T>(file: string, timeoutMs: number, fn: () => T): T {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    return withFileLock(
      lock,
      timeoutMs,
      fn,
      (pid) =>
        new SecretsStoreError(
          `secrets store ${file} is being written by another process (pid ${pid ?? "unknown"}, lock file ${lock}); try again, or remove ${lock} if no tickflow process is running`,
        ),
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined || e instanceof SecretsStoreError || e instanceof SecretsKeyError) throw e;
    throw new SecretsStoreError(`secrets store ${file}: cannot write it or its lock file (${(e as Error).message})`, { cause: e });
  }
}
