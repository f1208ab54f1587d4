// Signed messages v2 (docs/signing.md): the doc's test vectors in TypeScript and in the Python reference verifier,
// every verdict a verifier gives, the keyring sources and their errors, rotation, and which kinds are signed.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../helpers/duckdb.ts";
import {
  canonicalBytes,
  type Keyring,
  MSG_ID_HEADER,
  REJECT_REASONS,
  SignatureVerifier,
  signedHeaders,
  signV2,
  verifyFeedMessage,
} from "../../core/signing.ts";
import { LEGACY_KEY_ID, loadKeyring, parseKeysFile, SigningKeyError, type SecretSource } from "../../sinks/signingKeys.ts";
import { isSignedSubject, MessageSigner, SIGNED_SUBJECTS, withoutSignature } from "../../sinks/orderSigning.ts";
import { subjectMatches } from "../../schemas/kinds.ts";
import { SIGNED_KINDS } from "../../schemas/kinds.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const utf8 = new TextEncoder();

interface Vector {
  name: string;
  key_hex: string;
  kid: string;
  subject: string;
  msg_id: string;
  timestamp: number;
  body: string;
  signature: string;
}

/** The JSON block after `<!-- test-vectors -->` in docs/signing.md. */
function docVectors(): Vector[] {
  const doc = readFileSync(join(ROOT, "docs/signing.md"), "utf8");
  const block = /<!-- test-vectors -->\n```json\n([\s\S]*?)\n```/.exec(doc);
  expect(block, "docs/signing.md has a test-vectors JSON block").not.toBeNull();
  return JSON.parse(block![1]!) as Vector[];
}

const K1 = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const K2 = Buffer.from("8f2c4a6e1b3d5f7091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8", "hex");
const ring = (currentId: string, keys: Record<string, Buffer>): Keyring => ({ currentId, keys: new Map(Object.entries(keys)) });
const T0 = 1_767_225_600_000;
const MIN = 60_000;

/** A message as published at `at` by a signer of `keyring`. */
function published(keyring: Keyring, subject: string, msgId: string, body: string, at: number) {
  const data = utf8.encode(body);
  return { subject, data, headers: { ...signedHeaders(keyring, subject, msgId, data, at), [MSG_ID_HEADER]: msgId } as Record<string, string> };
}

describe("test vectors", () => {
  const vectors = docVectors();

  it("the doc has at least three: plain, non-ASCII body, a second key id", () => {
    expect(vectors.map((v) => v.name)).toEqual(["plain", "non-ASCII body", "second key id"]);
    expect([...vectors[1]!.body].some((c) => c.codePointAt(0)! > 0x7f)).toBe(true);
    expect(new Set(vectors.map((v) => v.kid)).size).toBe(2);
  });

  it("core/signing.ts gives each vector's signature and accepts it at its timestamp", () => {
    for (const v of vectors) {
      const fields = { keyId: v.kid, subject: v.subject, msgId: v.msg_id, timestamp: v.timestamp };
      expect(signV2(Buffer.from(v.key_hex, "hex"), fields, utf8.encode(v.body)), v.name).toBe(v.signature);
      const verifier = new SignatureVerifier(ring(v.kid, { [v.kid]: Buffer.from(v.key_hex, "hex") }), { now: () => v.timestamp });
      const headers = {
        "Tickflow-Key-Id": v.kid,
        "Tickflow-Timestamp": String(v.timestamp),
        "Tickflow-Signature": `v2=${v.signature}`,
        "Nats-Msg-Id": v.msg_id,
      };
      expect(verifier.verify({ subject: v.subject, headers, data: utf8.encode(v.body) }), v.name).toEqual({ ok: true, keyId: v.kid });
    }
  });

  it("the canonical bytes are the header lines, then the body's UTF-8", () => {
    const v = vectors[1]!;
    const bytes = canonicalBytes({ keyId: v.kid, subject: v.subject, msgId: v.msg_id, timestamp: v.timestamp }, utf8.encode(v.body));
    expect(Buffer.from(bytes).toString("utf8")).toBe(`tickflow-v2\nk1\nsignals.SAP\nsig-7\n1767225600123\n${v.body}`);
    expect(Buffer.from(bytes).toString("hex")).toContain("e28892"); // "−" as UTF-8, not UTF-16
  });

  it("python3 examples/verify_signature.py verifies its vectors and the doc's, and fails a tampered one", () => {
    const script = join(ROOT, "examples/verify_signature.py");
    expect(execFileSync("python3", [script], { encoding: "utf8" })).toMatch(/^3 vector\(s\) verify/);
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "vectors.json");
      writeFileSync(file, JSON.stringify(vectors));
      expect(spawnSync("python3", [script, "--vectors", file]).status).toBe(0);
      // The embedded vectors are the doc's.
      const embedded = spawnSync("python3", ["-c", `import json,runpy;print(json.dumps(runpy.run_path(${JSON.stringify(script)})["VECTORS"]))`], {
        encoding: "utf8",
      });
      expect(JSON.parse(embedded.stdout)).toEqual(vectors);
      const tampered = [
        (v: Vector) => ({ ...v, body: v.body.replace("10", "11") }),
        (v: Vector) => ({ ...v, subject: "orders.MSFT" }),
        (v: Vector) => ({ ...v, msg_id: "ord-2:r0:new:0" }),
        (v: Vector) => ({ ...v, timestamp: v.timestamp + 1 }),
      ].map((tamper) => tamper(vectors[0]!));
      writeFileSync(file, JSON.stringify([...tampered, vectors[1]]));
      const r = spawnSync("python3", [script, "--vectors", file], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stdout.match(/^FAIL plain: bad-signature/gm)).toHaveLength(4);
      expect(r.stdout).not.toMatch(/non-ASCII/);
    } finally {
      cleanup();
    }
  });
});

describe("SignatureVerifier", () => {
  const keyring = ring("k1", { k1: K1 });
  const body = '{"v":1,"id":"ord-1","symbol":"AAPL","qty":10}';
  const verifierAt = (now: { t: number }, k: Keyring = keyring) => new SignatureVerifier(k, { now: () => now.t });

  it("accepts a message signed now, with its key id", () => {
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    expect(verifierAt({ t: T0 }).verify(m)).toEqual({ ok: true, keyId: "k1" });
  });

  it("rejects a forged body, a wrong key and an unknown key id", () => {
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    const v = verifierAt({ t: T0 });
    expect(v.verify({ ...m, data: utf8.encode(body.replace("10", "11")) })).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifierAt({ t: T0 }, ring("k1", { k1: K2 })).verify(m)).toEqual({ ok: false, reason: "bad-signature" });
    const other = published(ring("k9", { k9: K1 }), "orders.AAPL", "ord-1", body, T0);
    expect(v.verify(other)).toEqual({ ok: false, reason: "unknown-key" });
  });

  it("rejects a message re-published to another subject as bad-signature (the subject it arrived on is signed)", () => {
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    expect(verifierAt({ t: T0 }).verify({ ...m, subject: "orders.MSFT" })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a message re-sent under a new message id (the v1 replay)", () => {
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    expect(verifierAt({ t: T0 }).verify({ ...m, headers: { ...m.headers, [MSG_ID_HEADER]: "ord-1-again" } })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects timestamps outside the tolerance: expired behind, future ahead, the bounds included in the window", () => {
    const now = { t: T0 };
    const v = new SignatureVerifier(keyring, { now: () => now.t, toleranceMs: 5 * MIN });
    expect(v.verify(published(keyring, "orders.AAPL", "a", body, T0 - 5 * MIN)).ok).toBe(true);
    expect(v.verify(published(keyring, "orders.AAPL", "b", body, T0 - 5 * MIN - 1))).toEqual({ ok: false, reason: "expired" });
    expect(v.verify(published(keyring, "orders.AAPL", "c", body, T0 + 5 * MIN)).ok).toBe(true);
    expect(v.verify(published(keyring, "orders.AAPL", "d", body, T0 + 5 * MIN + 1))).toEqual({ ok: false, reason: "future" });
    // Dated two years back: the measured v1 defect.
    expect(v.verify(published(keyring, "orders.AAPL", "e", body, T0 - 2 * 365 * 24 * 60 * MIN))).toEqual({ ok: false, reason: "expired" });
    // The default tolerance is 5 minutes too.
    const d = verifierAt(now);
    expect(d.toleranceMs).toBe(5 * MIN);
    expect(d.verify(published(keyring, "orders.AAPL", "f", body, T0 - 5 * MIN - 1))).toEqual({ ok: false, reason: "expired" });
  });

  it("rejects a repeated message id within the window; only authentic messages enter the guard; old ids are pruned", () => {
    const now = { t: T0 };
    const v = verifierAt(now);
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    const forged = { ...published(keyring, "orders.AAPL", "ord-2", body, T0), data: utf8.encode("{}") };
    expect(v.verify(forged).ok).toBe(false);
    expect(v.verify(m).ok).toBe(true);
    expect(v.verify(m)).toEqual({ ok: false, reason: "replayed" });
    now.t = T0 + 4 * MIN;
    expect(v.verify(m)).toEqual({ ok: false, reason: "replayed" });
    // The forgery did not poison the guard: the real ord-2 is accepted.
    expect(v.verify(published(keyring, "orders.AAPL", "ord-2", body, now.t)).ok).toBe(true);
    // Past the window the id is forgotten (and a copy of the old message is expired anyway).
    now.t = T0 + 12 * MIN;
    expect(v.verify(published(keyring, "orders.AAPL", "ord-3", body, now.t)).ok).toBe(true);
    expect(v.tracked).toBe(1);
    expect(v.verify(m)).toEqual({ ok: false, reason: "expired" });
  });

  it("keeps the replay guard bounded", () => {
    const v = new SignatureVerifier(keyring, { now: () => T0, replayCapacity: 3 });
    for (const id of ["a", "b", "c", "d", "e"]) expect(v.verify(published(keyring, "orders.AAPL", id, body, T0)).ok).toBe(true);
    expect(v.tracked).toBe(3);
    expect(v.evicted).toBe(2);
    expect(v.verify(published(keyring, "orders.AAPL", "e", body, T0))).toEqual({ ok: false, reason: "replayed" });
  });

  it("rejects unsigned messages, v1 signatures and malformed headers", () => {
    const v = verifierAt({ t: T0 });
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    const hex = m.headers["Tickflow-Signature"]!.slice(3);
    const reason = (headers: Record<string, string | undefined>) => {
      const r = v.verify({ subject: m.subject, headers, data: m.data });
      return r.ok ? "ok" : r.reason;
    };
    expect(v.verify({ subject: m.subject, data: m.data })).toEqual({ ok: false, reason: "unsigned" });
    expect(reason({ [MSG_ID_HEADER]: "ord-1" })).toBe("unsigned");
    expect(reason({ "Tickflow-Signature": hex, [MSG_ID_HEADER]: "ord-1" })).toBe("malformed"); // v1: bare hex
    expect(reason({ ...m.headers, "Tickflow-Signature": `v2=${hex.toUpperCase()}` })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Signature": `v2=${hex.slice(2)}` })).toBe("malformed"); // not 32 bytes
    expect(reason({ ...m.headers, "Tickflow-Signature": `v3=${hex}` })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Key-Id": undefined })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Key-Id": "bad id" })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Timestamp": undefined })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Timestamp": `0${T0}` })).toBe("malformed");
    expect(reason({ ...m.headers, "Tickflow-Timestamp": `${T0}.0` })).toBe("malformed");
    expect(reason({ ...m.headers, [MSG_ID_HEADER]: undefined })).toBe("malformed");
    expect(reason({ ...m.headers, [MSG_ID_HEADER]: "ord-1\nx" })).toBe("malformed");
    expect(reason(m.headers)).toBe("ok");
    // NATS headers answer "" for a missing header.
    const natsLike = { get: (n: string) => (n === "Tickflow-Signature" ? "" : (m.headers[n] ?? "")) };
    expect(v.verify({ subject: m.subject, headers: natsLike, data: m.data })).toEqual({ ok: false, reason: "unsigned" });
  });

  it("refuses to sign a field with a newline, and a bad key id", () => {
    expect(() => signedHeaders(keyring, "orders.AAPL\nx", "ord-1", utf8.encode(body), T0)).toThrow(/subject .* contains a newline/);
    expect(() => signedHeaders(keyring, "orders.AAPL", "ord\n1", utf8.encode(body), T0)).toThrow(/message id .* contains a newline/);
    expect(() => signedHeaders(ring("k 1", { "k 1": K1 }), "orders.AAPL", "ord-1", utf8.encode(body), T0)).toThrow(/key id "k 1" must match/);
  });

  it("compares in constant time: every signature it checks is 32 bytes, whatever was sent", () => {
    // timingSafeEqual throws on unequal lengths: a short or long signature must be refused before the comparison.
    const v = verifierAt({ t: T0 });
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    const hex = m.headers["Tickflow-Signature"]!.slice(3);
    const verdicts = [`v2=${hex}00`, `v2=${hex.slice(0, 62)}`, "v2=", `v2=${"0".repeat(64)}`, `v2=${hex.toUpperCase()}`].map((sig) =>
      v.verify({ ...m, headers: { ...m.headers, "Tickflow-Signature": sig } }),
    );
    expect(verdicts).toEqual([
      { ok: false, reason: "malformed" },
      { ok: false, reason: "malformed" },
      { ok: false, reason: "malformed" },
      { ok: false, reason: "bad-signature" },
      { ok: false, reason: "malformed" },
    ]);
    expect(readFileSync(join(ROOT, "core/signing.ts"), "utf8")).toMatch(/timingSafeEqual\(/);
  });

  it("counts every verdict", () => {
    const now = { t: T0 };
    const v = verifierAt(now);
    const m = published(keyring, "orders.AAPL", "ord-1", body, T0);
    v.verify(m);
    v.verify(m);
    v.verify({ ...m, subject: "orders.X" });
    v.verify({ subject: m.subject, data: m.data });
    expect(v.counts()).toEqual({ ok: 1, replayed: 1, "bad-signature": 1, unsigned: 1, malformed: 0, "unknown-key": 0, expired: 0, future: 0 });
    expect(Object.keys(v.counts()).sort()).toEqual(["ok", ...REJECT_REASONS].sort());
  });

  it("verifies feed messages the same way", () => {
    const feed = ring("feed-1", { "feed-1": K2 });
    const bar = published(feed, "md.bars.1d.AAPL", "AAPL:1d:1", '{"v":1}', T0);
    const v = new SignatureVerifier(feed, { now: () => T0 });
    expect(verifyFeedMessage(v, bar)).toEqual({ ok: true, keyId: "feed-1" });
    expect(verifyFeedMessage(v, { subject: bar.subject, data: bar.data })).toEqual({ ok: false, reason: "unsigned" });
    // A backlog read 20 minutes late: judged against the time the stream stored it, not the clock.
    const late = new SignatureVerifier(feed, { now: () => T0 + 20 * MIN });
    expect(verifyFeedMessage(late, bar)).toEqual({ ok: false, reason: "expired" });
    expect(verifyFeedMessage(late, bar, { storedMs: T0 + 1000 })).toEqual({ ok: true, keyId: "feed-1" });
    // The server delivering it again is not a replay; the same id sent anew is.
    expect(verifyFeedMessage(late, bar, { storedMs: T0 + 1000, redelivered: true })).toEqual({ ok: true, keyId: "feed-1" });
    expect(verifyFeedMessage(late, bar, { storedMs: T0 + 2000 })).toEqual({ ok: false, reason: "replayed" });
  });
});

describe("rotation", () => {
  it("a message signed under the old key verifies while the new one is current; after its removal it is unknown-key", () => {
    const before = ring("k1", { k1: K1 });
    const during = ring("k2", { k2: K2, k1: K1 });
    const after = ring("k2", { k2: K2 });
    const old = published(before, "fills.MSFT", "fill-1", '{"v":1}', T0);
    const fresh = published(during, "fills.MSFT", "fill-2", '{"v":1}', T0);
    expect(fresh.headers["Tickflow-Key-Id"]).toBe("k2");
    const v = new SignatureVerifier(during, { now: () => T0 });
    expect(v.verify(old)).toEqual({ ok: true, keyId: "k1" });
    expect(v.verify(fresh)).toEqual({ ok: true, keyId: "k2" });
    v.setKeyring(after);
    expect(v.verify(published(before, "fills.MSFT", "fill-3", '{"v":1}', T0))).toEqual({ ok: false, reason: "unknown-key" });
    expect(v.verify(published(after, "fills.MSFT", "fill-4", '{"v":1}', T0))).toEqual({ ok: true, keyId: "k2" });
  });
});

describe("keyring sources", () => {
  const k1hex = K1.toString("hex");
  const k2hex = K2.toString("hex");

  it("parses kid=hexkey lines: the first is current, comments and blank lines skipped", () => {
    const k = parseKeysFile(`# keys\n\nk2=${k2hex}\r\n  k1 = ${k1hex}\n`, "keys");
    expect(k.currentId).toBe("k2");
    expect([...k.keys.keys()]).toEqual(["k2", "k1"]);
    expect(Buffer.from(k.keys.get("k1")!).equals(K1)).toBe(true);
  });

  it("names the file and the line of a bad keys file", () => {
    expect(() => parseKeysFile(`k1=${k1hex}\nk2\n`, "F")).toThrow("F line 2: expected kid=hexkey");
    expect(() => parseKeysFile(`k 1=${k1hex}\n`, "F")).toThrow(/^F line 1: key id "k 1" must be/);
    expect(() => parseKeysFile(`k1=${k1hex}\nk1=${k2hex}\n`, "F")).toThrow("F line 2: key id k1 appears twice");
    expect(() => parseKeysFile(`k1=xyz\n`, "F")).toThrow("F line 1: the key of k1 must be hex digits");
    expect(() => parseKeysFile(`k1=abc\n`, "F")).toThrow(/an even number/);
    expect(() => parseKeysFile(`k1=${"ab".repeat(15)}\n`, "F")).toThrow("F line 1 (key k1): the key is 15 bytes; use at least 16");
    expect(() => parseKeysFile(`# nothing\n`, "F")).toThrow("F: holds no key");
    for (const bad of [`k1=xyz\n`, `# none\n`]) expect(() => parseKeysFile(bad, "F")).toThrow(SigningKeyError);
  });

  it("reads TICKFLOW_SIGNING_KEYS_FILE only when private (mode 0600)", () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "keys");
      writeFileSync(file, `k2=${k2hex}\nk1=${k1hex}\n`);
      chmodSync(file, 0o644);
      expect(() => loadKeyring({ env: { TICKFLOW_SIGNING_KEYS_FILE: file } })).toThrow(
        `TICKFLOW_SIGNING_KEYS_FILE=${file} is readable by others (mode 644); make it private: chmod 600 ${file}`,
      );
      chmodSync(file, 0o640);
      expect(() => loadKeyring({ env: { TICKFLOW_SIGNING_KEYS_FILE: file } })).toThrow(/mode 640/);
      chmodSync(file, 0o600);
      expect(loadKeyring({ env: { TICKFLOW_SIGNING_KEYS_FILE: file } })!.currentId).toBe("k2");
      writeFileSync(file, `k2=${k2hex}\nk1=12\n`);
      expect(() => loadKeyring({ env: { TICKFLOW_SIGNING_KEYS_FILE: file } })).toThrow(
        `TICKFLOW_SIGNING_KEYS_FILE=${file} line 2 (key k1): the key is 1 bytes`,
      );
      expect(() => loadKeyring({ env: { TICKFLOW_SIGNING_KEYS_FILE: join(dir, "missing") } })).toThrow(/ENOENT/);
    } finally {
      cleanup();
    }
  });

  it("keeps the legacy single key working, as key id default", () => {
    const { dir, cleanup } = tempDir();
    try {
      const inline = loadKeyring({ env: { TICKFLOW_HMAC_KEY: "fault-suite-signing-key-0123456789" } })!;
      expect(inline.currentId).toBe(LEGACY_KEY_ID);
      expect(Buffer.from(inline.keys.get("default")!).toString()).toBe("fault-suite-signing-key-0123456789");
      const file = join(dir, "hmac.key");
      writeFileSync(file, "file-key-0123456789abcdef\n", { mode: 0o600 });
      chmodSync(file, 0o600);
      expect(Buffer.from(loadKeyring({ env: { TICKFLOW_HMAC_KEY_FILE: file } })!.keys.get("default")!).toString()).toBe("file-key-0123456789abcdef");
      chmodSync(file, 0o604);
      expect(() => loadKeyring({ env: { TICKFLOW_HMAC_KEY_FILE: file } })).toThrow(/readable by others \(mode 604\)/);
      expect(() => loadKeyring({ env: { TICKFLOW_HMAC_KEY: "short" } })).toThrow(/5 bytes; use at least 16/);
      expect(loadKeyring({ env: {} })).toBeUndefined();
    } finally {
      cleanup();
    }
  });

  const secrets = (entries: Record<string, string | Buffer>): SecretSource => ({
    get: (n) => (n in entries ? Buffer.from(entries[n]!) : undefined),
    names: () => Object.keys(entries),
  });

  it("reads signing/<kid> and signing/current from the secrets store", () => {
    const k = loadKeyring({ env: {}, secrets: secrets({ "signing/k1": K1, "signing/k2": K2, "signing/current": "k2\n", "other/x": "y" }) })!;
    expect(k.currentId).toBe("k2");
    expect([...k.keys.keys()].sort()).toEqual(["k1", "k2"]);
    expect(loadKeyring({ env: {}, secrets: secrets({ "other/x": "y" }) })).toBeUndefined();
    expect(() => loadKeyring({ env: {}, secrets: secrets({ "signing/k1": K1 }) })).toThrow(/but no signing\/current/);
    expect(() => loadKeyring({ env: {}, secrets: secrets({ "signing/k1": K1, "signing/current": "k3" }) })).toThrow(
      "secret signing/current names key k3, which the store does not hold as signing/k3",
    );
    expect(() => loadKeyring({ env: {}, secrets: secrets({ "signing/k1": "short", "signing/current": "k1" }) })).toThrow(
      /secret signing\/k1: the key is 5 bytes/,
    );
  });

  it("refuses two sources instead of picking one", () => {
    const env = { TICKFLOW_HMAC_KEY: "a-key-of-enough-length", TICKFLOW_SIGNING_KEYS_FILE: "/nonexistent" };
    expect(() => loadKeyring({ env })).toThrow(/configured in 2 places: TICKFLOW_SIGNING_KEYS_FILE, TICKFLOW_HMAC_KEY; keep one/);
    expect(() => loadKeyring({ env: { TICKFLOW_HMAC_KEY: "a-key-of-enough-length", TICKFLOW_HMAC_KEY_FILE: "/x" } })).toThrow(SigningKeyError);
    expect(() =>
      loadKeyring({ env: { TICKFLOW_HMAC_KEY: "a-key-of-enough-length" }, secrets: secrets({ "signing/k1": K1, "signing/current": "k1" }) }),
    ).toThrow(/TICKFLOW_HMAC_KEY, the secrets store \(signing\/\*\)/);
  });
});

describe("what is signed", () => {
  it("orders, fills, order events and signals; their streams' subjects and no others", () => {
    expect([...SIGNED_KINDS].sort()).toEqual(["fill", "order", "orderEvent", "signal"]);
    expect([...SIGNED_SUBJECTS].sort()).toEqual(["fills.>", "orders.>", "signals.>"]);
    for (const s of ["orders.AAPL", "orders.events.paper", "fills.MSFT", "signals.NVDA"]) expect(isSignedSubject(s), s).toBe(true);
    for (const s of ["md.bars.1d.AAPL", "md.trades.AAPL", "news.reuters", "dlq.trading", "orders"]) expect(isSignedSubject(s), s).toBe(false);
    expect(subjectMatches("md.*.AAPL", "md.bars.AAPL")).toBe(true);
    expect(subjectMatches("md.*.AAPL", "md.bars.1d.AAPL")).toBe(false);
  });

  it("a signer stamps the clock's time; a stale signature of a stored row is dropped", () => {
    let t = T0;
    const signer = new MessageSigner(ring("k1", { k1: K1 }), () => t);
    const data = utf8.encode("{}");
    expect(signer.headers("orders.A", "o-1", data)["Tickflow-Timestamp"]).toBe(String(T0));
    t += MIN;
    expect(signer.headers("orders.A", "o-1", data)["Tickflow-Timestamp"]).toBe(String(T0 + MIN));
    expect(withoutSignature({ "Tickflow-Run": "r", "Tickflow-Signature": "ab", "tickflow-key-id": "x" })).toEqual({ "Tickflow-Run": "r" });
  });
});
