// The encrypted secrets store on real temp directories: round trip, nothing in clear on disk, a wrong or exposed
// master key, tampered entries, rotation and the crashes it must survive, and the CLI behind `tickflow secrets`.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isTickflowError } from "../../core/errors.ts";
import { checkSecretName, SecretNameError, SecretStore, SecretsKeyError, SecretsStoreError, secretsFile } from "../../io/secrets.ts";
import { pendingKeyFile, secretsKeyFileText, secretsKeyId } from "../../io/secretsKey.ts";
import { readAll, register, type SecretsCliIo, secretValue } from "../../cli/commands/secrets.ts";
import { tempDir } from "../helpers/duckdb.ts";

const PASSWORD = "correct-horse-battery-staple-7731";
const SIGNING = Buffer.from("00ff10203040506070809a0b0c0d0e0f112233", "hex");

let dir: string;
let cleanup: () => void;
let file: string;
let keyFile: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir("tickflow-secrets-"));
  file = join(dir, "secrets.json");
  keyFile = join(dir, "secrets.key");
});
afterEach(() => cleanup());

/** A store with two secrets, created under the default key file beside it. */
function filled(): SecretStore {
  const s = SecretStore.open({ file, env: {}, create: true });
  s.set("nats/pipeline", PASSWORD);
  s.set("signing/current", SIGNING);
  return s;
}

const onDisk = (): { keyId: string; secrets: Record<string, { iv: string; tag: string; data: string; updatedAt: string }> } =>
  JSON.parse(readFileSync(file, "utf8"));

const mode = (p: string): number => statSync(p).mode & 0o777;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("SecretStore", () => {
  it("round-trips text and bytes through the file, which holds neither in clear", () => {
    const s = filled();
    const again = SecretStore.open({ file, env: {} });
    expect(again.getString("nats/pipeline")).toBe(PASSWORD);
    expect(again.get("signing/current")).toEqual(SIGNING);
    expect(again.get("nats/other")).toBeUndefined();
    expect(again.names()).toEqual(["nats/pipeline", "signing/current"]);
    expect(again.list().map((r) => [r.name, r.bytes])).toEqual([
      ["nats/pipeline", PASSWORD.length],
      ["signing/current", SIGNING.length],
    ]);
    expect(again.keyId).toBe(s.keyId);

    const raw = readFileSync(file);
    expect(raw.includes(PASSWORD)).toBe(false);
    expect(raw.includes(SIGNING)).toBe(false);
    expect(raw.includes(SIGNING.toString("hex"))).toBe(false);
    expect(raw.includes(SIGNING.toString("base64"))).toBe(false);
    expect(raw.includes(Buffer.from(PASSWORD).toString("base64"))).toBe(false);
    const json = onDisk();
    expect(Object.keys(json)).toEqual(["version", "keyId", "secrets"]);
    expect(json.keyId).toBe(secretsKeyId(Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex")));
    expect(Buffer.from(json.secrets["nats/pipeline"]!.iv, "base64")).toHaveLength(12);
    expect(Buffer.from(json.secrets["nats/pipeline"]!.tag, "base64")).toHaveLength(16);
  });

  it("writes the store and the key file with mode 0600, and a new iv for each write", () => {
    filled();
    expect(mode(file)).toBe(0o600);
    expect(mode(keyFile)).toBe(0o600);
    expect(readFileSync(keyFile, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    const iv = onDisk().secrets["nats/pipeline"]!.iv;
    const s = SecretStore.open({ file, env: {} });
    s.set("nats/pipeline", PASSWORD);
    expect(onDisk().secrets["nats/pipeline"]!.iv).not.toBe(iv);
    expect(mode(file)).toBe(0o600);
    chmodSync(file, 0o644);
    s.delete("nats/pipeline");
    expect(mode(file)).toBe(0o600);
    expect(SecretStore.open({ file, env: {} }).names()).toEqual(["signing/current"]);
    expect(s.delete("nats/pipeline")).toBe(false);
  });

  it("sees what another process set since it opened the store, instead of overwriting it", () => {
    const a = filled();
    const b = SecretStore.open({ file, env: {} });
    b.set("broker/key", "k-1");
    a.set("nats/pipeline", "changed");
    const c = SecretStore.open({ file, env: {} });
    expect(c.names()).toEqual(["broker/key", "nats/pipeline", "signing/current"]);
    expect(c.getString("nats/pipeline")).toBe("changed");
  });

  it("refuses a wrong master key before decrypting, naming both key ids", () => {
    const s = filled();
    const other = join(dir, "other.key");
    writeFileSync(other, secretsKeyFileText(Buffer.alloc(32, 7)), { mode: 0o600 });
    const e = thrown(() => SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY_FILE: other } }));
    expect(e).toBeInstanceOf(SecretsKeyError);
    expect(isTickflowError(e, "SECRETS_KEY_UNAVAILABLE")).toBe(true);
    expect(e.message).toBe(
      `${file} was encrypted under key ${s.keyId}, the key in ${other} is ${secretsKeyId(Buffer.alloc(32, 7))}: wrong key file? (set TICKFLOW_SECRETS_KEY_FILE to the key this store was written with)`,
    );
    const env = thrown(() => SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY: "ab".repeat(32) } }));
    expect(env.message).toContain(`the key in TICKFLOW_SECRETS_KEY is ${secretsKeyId(Buffer.alloc(32, 0xab))}`);
  });

  it("names the entry that fails authentication: altered ciphertext, swapped entries, a forged keyId", () => {
    filled();
    const original = readFileSync(file, "utf8");
    const json = onDisk();
    const data = Buffer.from(json.secrets["nats/pipeline"]!.data, "base64");
    data[0]! ^= 1;
    json.secrets["nats/pipeline"]!.data = data.toString("base64");
    writeFileSync(file, JSON.stringify(json));
    const s = SecretStore.open({ file, env: {} });
    expect(s.get("signing/current")).toEqual(SIGNING);
    const e = thrown(() => s.get("nats/pipeline"));
    expect(e).toBeInstanceOf(SecretsStoreError);
    expect(e.message).toBe(`secret nats/pipeline in ${file} failed authentication: the file was altered or encrypted under another key`);
    expect(() => s.verify()).toThrow(/secret nats\/pipeline in .* failed authentication/);

    // Each entry authenticates its own name: moved under another name, it fails even with the right key.
    const swapped = JSON.parse(original);
    [swapped.secrets["nats/pipeline"], swapped.secrets["signing/current"]] = [swapped.secrets["signing/current"], swapped.secrets["nats/pipeline"]];
    writeFileSync(file, JSON.stringify(swapped));
    const t = SecretStore.open({ file, env: {} });
    expect(() => t.get("nats/pipeline")).toThrow(/^secret nats\/pipeline in .* failed authentication/);
    expect(() => t.get("signing/current")).toThrow(/^secret signing\/current in .* failed authentication/);

    // A keyId edited to match another key gets past the id check, not past GCM.
    const other = join(dir, "other.key");
    writeFileSync(other, secretsKeyFileText(Buffer.alloc(32, 9)), { mode: 0o600 });
    const forged = JSON.parse(original);
    forged.keyId = secretsKeyId(Buffer.alloc(32, 9));
    writeFileSync(file, JSON.stringify(forged));
    const u = SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY_FILE: other } });
    expect(() => u.get("nats/pipeline")).toThrow(/^secret nats\/pipeline in .* failed authentication/);
  });

  it("never puts a value in an error", () => {
    filled();
    const json = onDisk();
    json.secrets["nats/pipeline"]!.tag = Buffer.alloc(16).toString("base64");
    writeFileSync(file, JSON.stringify(json));
    const e = thrown(() => SecretStore.open({ file, env: {} }).getString("nats/pipeline"));
    expect(`${e.message} ${String(e.cause)}`).not.toContain(PASSWORD);
  });

  it("refuses a key file others can read or write, with the mode and the chmod that fixes it", () => {
    filled();
    chmodSync(keyFile, 0o644);
    const e = thrown(() => SecretStore.open({ file, env: {} }));
    expect(e).toBeInstanceOf(SecretsKeyError);
    expect(e.message).toBe(
      `secrets key file ${keyFile} is open to other users (mode 644); the key decrypts every secret, so make it private: chmod 600 ${keyFile}`,
    );
    chmodSync(keyFile, 0o620);
    expect(() => SecretStore.open({ file, env: {} })).toThrow(/mode 620.*chmod 600/);
    chmodSync(keyFile, 0o604);
    expect(() => SecretStore.open({ file, env: {} })).toThrow(/mode 604/);
    chmodSync(keyFile, 0o400);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("refuses both a key file and TICKFLOW_SECRETS_KEY, and malformed keys without quoting them", () => {
    const both = { TICKFLOW_SECRETS_KEY: "ab".repeat(32), TICKFLOW_SECRETS_KEY_FILE: keyFile };
    expect(() => SecretStore.open({ file, env: both })).toThrow(SecretsKeyError);
    expect(() => SecretStore.open({ file, env: both })).toThrow(/both TICKFLOW_SECRETS_KEY and a secrets key file/);
    expect(() => SecretStore.open({ file, keyFile, env: { TICKFLOW_SECRETS_KEY: "ab".repeat(32) } })).toThrow(/both/);

    const bad = thrown(() => SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY: "hunter2-hunter2" } }));
    expect(bad.message).toMatch(/^TICKFLOW_SECRETS_KEY does not hold a secrets key: expected 64 hex digits/);
    expect(bad.message).not.toContain("hunter2");
    writeFileSync(keyFile, "zz".repeat(32), { mode: 0o600 });
    expect(() => SecretStore.open({ file, env: {} })).toThrow(`secrets key file ${keyFile} does not hold a secrets key`);
  });

  it("opens a missing store as empty; a missing key is an error only once there is something to decrypt", () => {
    const empty = SecretStore.open({ file, env: {} });
    expect(empty.names()).toEqual([]);
    expect(empty.get("nats/pipeline")).toBeUndefined();
    expect(empty.keyId).toBeUndefined();
    expect(() => empty.set("nats/pipeline", PASSWORD)).toThrow(`no secrets key: ${keyFile} does not exist; create it with \`tickflow secrets init\``);
    expect(existsSync(file)).toBe(false);

    const s = filled();
    const keyText = readFileSync(keyFile, "utf8");
    rmSync(keyFile); // as if the data directory was copied without its key
    const e = thrown(() => SecretStore.open({ file, env: {} }));
    expect(e).toBeInstanceOf(SecretsKeyError);
    expect(e.message).toBe(
      `${file} holds 2 secret(s) encrypted under key ${s.keyId}, but ${keyFile} does not exist: restore that key file, or set TICKFLOW_SECRETS_KEY_FILE to it`,
    );
    // create never replaces a lost key with a new one while there are secrets it could not decrypt.
    expect(() => SecretStore.open({ file, env: {}, create: true })).toThrow(SecretsKeyError);
    expect(existsSync(keyFile)).toBe(false);
    writeFileSync(keyFile, keyText, { mode: 0o600 });
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("takes the key from TICKFLOW_SECRETS_KEY, and refuses to rotate it (there is no file for the new key)", () => {
    const env = { TICKFLOW_SECRETS_KEY: "0f".repeat(32) };
    const s = SecretStore.open({ file, env, create: true });
    expect(existsSync(keyFile)).toBe(false);
    s.set("nats/pipeline", PASSWORD);
    expect(SecretStore.open({ file, env }).getString("nats/pipeline")).toBe(PASSWORD);
    expect(() => s.rotate()).toThrow(/comes from TICKFLOW_SECRETS_KEY.*set TICKFLOW_SECRETS_KEY_FILE/);
  });

  it("validates names", () => {
    for (const ok of ["nats/pipeline", "signing/current", "signing/k-2026.01", "a", "0", `a${"b".repeat(127)}`]) expect(checkSecretName(ok)).toBe(ok);
    for (const bad of ["", "Nats/pipeline", "/nats", ".hidden", "-x", "nats pipeline", "nats:x", `a${"b".repeat(128)}`, "é"])
      expect(() => checkSecretName(bad), bad).toThrow(SecretNameError);
    const s = filled();
    expect(() => s.set("NATS", "x")).toThrow(/secret name "NATS" is invalid/);
    expect(() => s.get("../x")).toThrow(SecretNameError);
    const json = onDisk();
    json.secrets.BAD = json.secrets["nats/pipeline"]!;
    writeFileSync(file, JSON.stringify(json));
    expect(() => SecretStore.open({ file, env: {} })).toThrow(/entry "BAD" is not a valid secret name/);
  });

  it("refuses a file that is not a store, or of a newer version", () => {
    writeFileSync(file, "{not json");
    expect(() => SecretStore.open({ file, env: {} })).toThrow(SecretsStoreError);
    writeFileSync(file, JSON.stringify({ version: 2, keyId: "0".repeat(16), secrets: {} }));
    expect(() => SecretStore.open({ file, env: {} })).toThrow(/format version 2; this tickflow reads version 1: upgrade tickflow/);
    writeFileSync(file, JSON.stringify({ version: 1, keyId: "0".repeat(16), secrets: { a: { iv: "!", tag: "", data: "", updatedAt: "x" } } }));
    expect(() => SecretStore.open({ file, env: {} })).toThrow(/not a tickflow secrets store: secrets.a.iv must be base64/);
  });

  it("waits for another writer's lock, and takes over the lock of a writer that died", () => {
    const s = filled();
    writeFileSync(`${file}.lock`, `${process.pid}\n`);
    const busy = SecretStore.open({ file, env: {}, lockTimeoutMs: 100 });
    expect(() => busy.set("x", "y")).toThrow(`is being written by another process (pid ${process.pid}, lock file ${file}.lock)`);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(`${file}.lock`, `${dead}\n`);
    s.set("x", "y");
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(SecretStore.open({ file, env: {} }).getString("x")).toBe("y");
  });
});

describe("SecretStore.rotate", () => {
  it("re-encrypts every value under a new key: values survive, the key id changes, the old key opens nothing", () => {
    const s = filled();
    const oldKey = readFileSync(keyFile, "utf8");
    const before = onDisk();
    const r = s.rotate();
    expect(r.previousKeyId).toBe(before.keyId);
    expect(r.keyId).not.toBe(before.keyId);
    expect(r.secrets).toBe(2);
    expect(s.keyId).toBe(r.keyId);
    expect(onDisk().keyId).toBe(r.keyId);
    expect(readFileSync(keyFile, "utf8")).not.toBe(oldKey);
    expect(mode(keyFile)).toBe(0o600);
    expect(mode(file)).toBe(0o600);
    expect(existsSync(pendingKeyFile(keyFile))).toBe(false);
    expect(onDisk().secrets["nats/pipeline"]!.updatedAt).toBe(before.secrets["nats/pipeline"]!.updatedAt);

    const again = SecretStore.open({ file, env: {} });
    expect(again.getString("nats/pipeline")).toBe(PASSWORD);
    expect(again.get("signing/current")).toEqual(SIGNING);
    s.set("after", "rotation");
    expect(SecretStore.open({ file, env: {} }).getString("after")).toBe("rotation");

    const old = join(dir, "old.key");
    writeFileSync(old, oldKey, { mode: 0o600 });
    expect(() => SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY_FILE: old } })).toThrow(
      new RegExp(`encrypted under key ${r.keyId}, the key in ${old} is ${r.previousKeyId}`),
    );
    // The old key does not decrypt the new ciphertexts even when the id check is bypassed.
    const forged = onDisk();
    forged.keyId = r.previousKeyId;
    writeFileSync(file, JSON.stringify(forged));
    expect(() => SecretStore.open({ file, env: { TICKFLOW_SECRETS_KEY_FILE: old } }).get("nats/pipeline")).toThrow(/failed authentication/);
  });

  it("a crash after writing <keyfile>.new leaves the store under the old key; the next rotation clears the stale key", () => {
    const s = filled();
    const oldId = s.keyId;
    expect(() =>
      s.rotate(Buffer.alloc(32, 1), (step) => {
        if (step === "pendingKeyWritten") throw new Error("crash");
      }),
    ).toThrow("crash");
    expect(existsSync(pendingKeyFile(keyFile))).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
    const reopened = SecretStore.open({ file, env: {} });
    expect(reopened.keyId).toBe(oldId);
    expect(reopened.getString("nats/pipeline")).toBe(PASSWORD);
    const r = reopened.rotate(Buffer.alloc(32, 2));
    expect(r.keyId).toBe(secretsKeyId(Buffer.alloc(32, 2)));
    expect(existsSync(pendingKeyFile(keyFile))).toBe(false);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("a crash after rewriting the store: open finds the key in <keyfile>.new and finishes the swap", () => {
    const s = filled();
    const oldKeyText = readFileSync(keyFile, "utf8");
    const next = Buffer.alloc(32, 3);
    expect(() =>
      s.rotate(next, (step) => {
        if (step === "storeRewritten") throw new Error("crash");
      }),
    ).toThrow("crash");
    expect(readFileSync(keyFile, "utf8")).toBe(oldKeyText); // the old key is still in place...
    expect(onDisk().keyId).toBe(secretsKeyId(next)); // ...but the store is under the new one, which is in .new
    expect(readFileSync(pendingKeyFile(keyFile), "utf8")).toBe(secretsKeyFileText(next));

    const reopened = SecretStore.open({ file, env: {} });
    expect(reopened.keyId).toBe(secretsKeyId(next));
    expect(reopened.getString("nats/pipeline")).toBe(PASSWORD);
    expect(reopened.get("signing/current")).toEqual(SIGNING);
    expect(readFileSync(keyFile, "utf8")).toBe(secretsKeyFileText(next));
    expect(existsSync(pendingKeyFile(keyFile))).toBe(false);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("a crash after rewriting the store, seen while another writer holds the lock: opens with .new, the next write finishes", () => {
    const s = filled();
    const next = Buffer.alloc(32, 4);
    expect(() =>
      s.rotate(next, (step) => {
        if (step === "storeRewritten") throw new Error("crash");
      }),
    ).toThrow("crash");
    writeFileSync(`${file}.lock`, `${process.pid}\n`);
    const reader = SecretStore.open({ file, env: {}, lockTimeoutMs: 50 });
    expect(reader.getString("nats/pipeline")).toBe(PASSWORD);
    expect(existsSync(pendingKeyFile(keyFile))).toBe(true);
    rmSync(`${file}.lock`);
    reader.set("x", "y");
    expect(existsSync(pendingKeyFile(keyFile))).toBe(false);
    expect(readFileSync(keyFile, "utf8")).toBe(secretsKeyFileText(next));
    expect(SecretStore.open({ file, env: {} }).getString("x")).toBe("y");
  });

  it("a torn <keyfile>.new (crash while writing it) is ignored", () => {
    const s = filled();
    writeFileSync(pendingKeyFile(keyFile), "3f3f", { mode: 0o600 });
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
    s.rotate();
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("a crash after the key swap leaves a consistent pair", () => {
    const s = filled();
    expect(() =>
      s.rotate(undefined, (step) => {
        if (step === "keyReplaced") throw new Error("crash");
      }),
    ).toThrow("crash");
    expect(existsSync(pendingKeyFile(keyFile))).toBe(false);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);
  });

  it("refuses a store another process rotated since it was opened", () => {
    const a = filled();
    SecretStore.open({ file, env: {} }).rotate();
    expect(() => a.set("x", "y")).toThrow(SecretsStoreError);
    expect(() => a.set("x", "y")).toThrow(/another process rotated the key/);
  });

  it("leaves no copy of the old key, no temp file and no lock beside the store", () => {
    const s = filled();
    copyFileSync(keyFile, join(dir, "before.key"));
    s.rotate();
    expect(readdirSync(dir).sort()).toEqual(["before.key", "secrets.json", "secrets.key"]);
  });
});

describe("tickflow secrets", () => {
  function cli(stdin: string | string[] = []): { run: (...args: string[]) => Promise<void>; out: string[]; notes: string[] } {
    const out: string[] = [];
    const notes: string[] = [];
    const io: SecretsCliIo = { stdin: Readable.from(typeof stdin === "string" ? [stdin] : stdin), print: (l) => out.push(l), note: (l) => notes.push(l) };
    const program = new Command("tickflow").exitOverride().configureOutput({ writeErr: () => undefined });
    register(program, io);
    return { run: (...args) => program.parseAsync(["node", "tickflow", "secrets", ...args]).then(() => undefined), out, notes };
  }

  beforeEach(() => {
    vi.stubEnv("TICKFLOW_DATA", dir);
    vi.stubEnv("TICKFLOW_SECRETS_KEY", "");
    vi.stubEnv("TICKFLOW_SECRETS_KEY_FILE", "");
  });
  afterEach(() => vi.unstubAllEnvs());

  it("init, set from stdin, list, delete, rotate; prints no value", async () => {
    const init = cli();
    await init.run("init");
    expect(init.out[0]).toBe(`created the secrets key ${keyFile} (mode 0600): keep it out of copies and backups of the data directory`);
    expect(secretsFile(dir)).toBe(file);
    expect(mode(keyFile)).toBe(0o600);

    const set = cli(`${PASSWORD}\n`);
    await set.run("set", "nats/pipeline");
    expect(set.out).toEqual([`set nats/pipeline (${PASSWORD.length} bytes) in ${file}`]);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);

    const gen = cli();
    await gen.run("set", "signing/current", "--generate", "32");
    expect(SecretStore.open({ file, env: {} }).getString("signing/current")).toMatch(/^[0-9a-f]{64}$/);

    const list = cli();
    await list.run("list");
    expect(list.out[0]).toMatch(/^2 secret\(s\) in .*secrets\.json, master key [0-9a-f]{16} \(.*secrets\.key\):$/);
    expect(list.out[1]).toMatch(/^ {2}nats\/pipeline {3}\s+33 bytes {2}updated \d{4}-/);
    expect(list.out.join("\n")).not.toContain(PASSWORD);

    const rotate = cli();
    await rotate.run("rotate");
    expect(rotate.out[0]).toMatch(/^rotated the secrets key: [0-9a-f]{16} -> [0-9a-f]{16} \(2 secret\(s\) re-encrypted; key file .*secrets\.key\)$/);
    expect(SecretStore.open({ file, env: {} }).getString("nats/pipeline")).toBe(PASSWORD);

    await cli().run("delete", "nats/pipeline");
    expect(SecretStore.open({ file, env: {} }).names()).toEqual(["signing/current"]);
    await expect(cli().run("delete", "nats/pipeline")).rejects.toThrow(/no secret nats\/pipeline in/);
  });

  it("has no command that prints a value, and takes no value on the command line", async () => {
    await cli().run("init");
    await expect(cli().run("set", "nats/pipeline", PASSWORD)).rejects.toThrow(/too many arguments|unknown/i);
    await expect(cli().run("get", "nats/pipeline")).rejects.toThrow();
    expect(SecretStore.open({ file, env: {} }).names()).toEqual([]);
  });

  it("exports a value only to a new private file, raw or hex, printing no value", async () => {
    await cli().run("init");
    await cli(`${PASSWORD}\n`).run("set", "signing/k1");
    const raw = join(dir, "k1.raw");
    const hex = join(dir, "k1.hex");
    const out = cli();
    await out.run("export", "signing/k1", "--to-file", raw);
    await cli().run("export", "signing/k1", "--to-file", hex, "--hex");
    expect(readFileSync(raw, "utf8")).toBe(PASSWORD);
    expect(readFileSync(hex, "utf8")).toBe(`${Buffer.from(PASSWORD).toString("hex")}\n`);
    expect([mode(raw), mode(hex)]).toEqual([0o600, 0o600]);
    expect(out.out.join("\n")).not.toContain(PASSWORD);
    await expect(cli().run("export", "signing/k1", "--to-file", raw)).rejects.toThrow(/exists; export writes a new file only/);
    await expect(cli().run("export", "nope", "--to-file", join(dir, "x"))).rejects.toThrow(/no secret nope/);
  });

  it("reads all of stdin, strips one trailing newline, and refuses an empty value or two sources", async () => {
    expect((await readAll(Readable.from(["ab", "c\n"]))).toString()).toBe("abc");
    expect((await readAll(Readable.from(["abc\r\n"]))).toString()).toBe("abc");
    expect((await readAll(Readable.from(["abc\n\n"]))).toString()).toBe("abc\n");
    expect((await readAll(Readable.from([Buffer.from([0, 1, 0x0a, 2])]))).toString("hex")).toBe("00010a02");
    const io = { stdin: Readable.from(["\n"]), note: () => undefined };
    await expect(secretValue("x", {}, io)).rejects.toThrow("the value of x is empty");
    await expect(secretValue("x", { fromFile: "f", generate: "32" }, io)).rejects.toThrow("not both");
    await expect(secretValue("x", { generate: "4" }, io)).rejects.toThrow(/from 16 to 1024/);
    const f = join(dir, "value");
    writeFileSync(f, "from-file\n");
    expect((await secretValue("x", { fromFile: f }, io)).toString()).toBe("from-file");
    const notes: string[] = [];
    const tty = Object.assign(Readable.from(["typed\n"]), { isTTY: true });
    expect((await secretValue("x", {}, { stdin: tty, note: (l) => notes.push(l) })).toString()).toBe("typed");
    expect(notes[0]).toMatch(/^type the value of x/);
  });

  it("set before init says to run init", async () => {
    await expect(cli("v\n").run("set", "nats/pipeline")).rejects.toThrow(/no secrets key: .* does not exist; create it with `tickflow secrets init`/);
  });
});
