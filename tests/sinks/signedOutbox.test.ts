// Signing at send time, against a real nats-server and DuckDB: a message recorded in the outbox at t0 and published
// ten minutes later carries the publish time and verifies; the outbox row holds no signature; a row an older
// version stored with a v1 signature goes out with a v2 one only; `verifyStream` reads the stream back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "../../io/duckdb/database.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { NatsOutputSink, natsSink, PUBLISHER, SIGNING_KEYS } from "../../sinks/outputSinks.ts";
import { MessageSigner } from "../../sinks/orderSigning.ts";
import { type Keyring, SignatureVerifier } from "../../core/signing.ts";
import { DuckDbCheckpointStore } from "../../replay/checkpoints.ts";
import { Services } from "../../runtime/connectors.ts";
import { verifyStream } from "../../sources/streamVerification.ts";
import { register as registerVerify, verificationReport } from "../../cli/commands/verify.ts";
import { Command } from "commander";
import type { Signal } from "../../schemas/signal.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";

const KEYRING: Keyring = { currentId: "k1", keys: new Map([["k1", Buffer.alloc(32, 7)]]) };
const T0 = 1_767_225_600_000;
const MIN = 60_000;

const signal = (n: number): Signal => ({
  id: `p:signals:AAPL:${n}`,
  pipeline: "p",
  symbol: "AAPL",
  tsEvent: BigInt(n) * 1_000_000_000n,
  action: "buy",
  strength: 0.5,
  reason: "test",
  inputs: {},
});

interface Received {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  storedMs: number;
}

describe("signed publishing (real nats-server)", () => {
  let nats: NatsFixture;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    nats = await startNats();
    publisher = new JetStreamPublisher(nats.nc, { timeoutMs: 2000, attempts: 3 });
  });
  afterAll(async () => {
    await stopNats(nats);
  });

  async function signalsFrom(seq: number): Promise<Received[]> {
    const consumer = await jetstream(nats.nc).consumers.get("SIGNALS", { opt_start_seq: seq, deliver_policy: DeliverPolicy.StartSequence });
    const out: Received[] = [];
    for await (const m of await consumer.fetch({ max_messages: 100, expires: 1000 })) {
      const headers: Record<string, string> = {};
      for (const k of m.headers?.keys() ?? []) headers[k] = m.headers!.get(k);
      out.push({ subject: m.subject, data: m.data, headers, storedMs: Math.floor(m.info.timestampNanos / 1e6) });
      if (m.info.pending === 0) break;
    }
    return out;
  }

  it("encodes at t0 without a signature, signs when sent at t0 + 10 min, and the message verifies then", async () => {
    let now = T0;
    const sink = new NatsOutputSink(publisher, "run-1", new MessageSigner(KEYRING, () => now));
    const outbox = sink.encode("signals", "signal", [signal(1), signal(2)]);
    expect(outbox.map((m) => m.headers)).toEqual([{ "Tickflow-Run": "run-1" }, { "Tickflow-Run": "run-1" }]);
    now = T0 + 10 * MIN; // an outage: the batch goes out ten minutes after it was recorded
    await sink.sender.send(outbox);
    const got = await signalsFrom(1);
    expect(got).toHaveLength(2);
    for (const m of got) {
      expect(m.headers["Tickflow-Timestamp"]).toBe(String(T0 + 10 * MIN));
      expect(m.headers["Tickflow-Key-Id"]).toBe("k1");
      expect(m.headers["Tickflow-Run"]).toBe("run-1");
    }
    const v = new SignatureVerifier(KEYRING, { now: () => now });
    expect(got.map((m) => v.verify(m))).toEqual([
      { ok: true, keyId: "k1" },
      { ok: true, keyId: "k1" },
    ]);
    // Signed at encode time it would be 10 minutes old: the tolerance is 5.
    expect(new SignatureVerifier(KEYRING, { now: () => T0 + 10 * MIN + 6 * MIN }).verify(got[0]!)).toEqual({ ok: false, reason: "expired" });
  });

  it("re-signs an outbox row stored with a v1 signature, after a restart, and stores no signature in the outbox", async () => {
    await withDatabase(async (db) => {
      const store = new DuckDbCheckpointStore(db);
      await store.latest("run-2"); // creates the tables
      let now = T0;
      const sink = new NatsOutputSink(publisher, "run-2", new MessageSigner(KEYRING, () => now));
      const [fresh] = sink.encode("signals", "signal", [signal(3)]);
      const v1Row = { ...sink.encode("signals", "signal", [signal(4)])[0]!, headers: { "Tickflow-Run": "run-2", "Tickflow-Signature": "ab".repeat(32) } };
      await store.addToOutbox("run-2", 1n, [
        { outbox: "nats", message: fresh! },
        { outbox: "nats", message: v1Row },
      ]);
      const rows = await db.query<{ headers: string }>(`SELECT headers FROM outbox WHERE run_id = 'run-2' ORDER BY seq`);
      expect(rows[0]!.headers).toBe('{"Tickflow-Run":"run-2"}');
      now = T0 + 30 * MIN; // the restart
      const seqBefore = (
        await jetstream(nats.nc)
          .streams.get("SIGNALS")
          .then((s) => s.info())
      ).state.last_seq;
      await sink.sender.send((await store.outbox("run-2")).map((e) => e.message));
      const got = await signalsFrom(seqBefore + 1);
      expect(got).toHaveLength(2);
      const v = new SignatureVerifier(KEYRING, { now: () => now });
      for (const m of got) {
        expect(m.headers["Tickflow-Signature"]).toMatch(/^v2=[0-9a-f]{64}$/);
        expect(v.verify(m).ok).toBe(true);
      }
    });
  });

  it("refuses to publish a signed kind without a key, at the sink's creation and when sending", async () => {
    const ctx = (kind: "signal" | "bar") => ({
      runId: "r",
      pipeline: {} as CompiledPipeline,
      mode: "live" as const,
      node: "signals",
      kind,
      services: new Services().provide(PUBLISHER, publisher),
    });
    const saved = { ...process.env };
    for (const k of ["TICKFLOW_HMAC_KEY", "TICKFLOW_HMAC_KEY_FILE", "TICKFLOW_SIGNING_KEYS_FILE"]) delete process.env[k];
    try {
      expect(() => natsSink.create({}, ctx("signal"))).toThrow(/cannot publish signal messages \(node signals\) unsigned: set TICKFLOW_SIGNING_KEYS_FILE/);
      // A bar sink needs no key; the outbox it shares by name refuses a signed subject all the same.
      const bars = natsSink.create({}, ctx("bar")) as NatsOutputSink;
      await expect(bars.sender.send([{ subject: "signals.AAPL", id: "x", data: new Uint8Array() }])).rejects.toThrow(
        /cannot publish message x on signals.AAPL unsigned/,
      );
      expect(() => bars.encode("n", "signal", [signal(9)])).toThrow(/cannot publish signal messages unsigned/);
      const keyed = natsSink.create({}, { ...ctx("signal"), services: ctx("signal").services.provide(SIGNING_KEYS, KEYRING) }) as NatsOutputSink;
      expect(keyed).toBeInstanceOf(NatsOutputSink);
      // A message that cannot be signed fails at once, not after retries.
      await expect(keyed.sender.send([{ subject: "signals.AAPL", id: "a\nb", data: new Uint8Array() }])).rejects.toThrow(
        /^cannot sign message "a\\nb" on signals.AAPL: the message id "a\\nb" contains a newline$/,
      );
    } finally {
      process.env = saved;
    }
  });

  it("verifyStream reads the stream back: the stored time judges freshness; an unsigned message and a copy to another subject are counted", async () => {
    // The messages so far were signed by a fake clock in January: judged against the time the server stored them,
    // they are far off.
    const faked = await verifyStream(nats.nc, KEYRING, { streams: ["SIGNALS"], idleMs: 1000 });
    expect(faked.checked).toBe(4);
    expect(faked.counts.expired).toBe(4);
    const seq = (
      await jetstream(nats.nc)
        .streams.get("SIGNALS")
        .then((s) => s.info())
    ).state.last_seq;
    const sink = new NatsOutputSink(publisher, "run-3", new MessageSigner(KEYRING));
    const [m] = sink.encode("signals", "signal", [signal(5)]);
    await sink.sender.send([m!]);
    await publisher.publish({ subject: "signals.AAPL", data: m!.data, msgID: "unsigned-1" });
    // A subscriber copies the signed message, headers and all, to another subject.
    const [signed] = await signalsFrom(seq + 1);
    const { "Nats-Msg-Id": _id, ...copied } = signed!.headers;
    await publisher.publish({ subject: "signals.NVDA", data: signed!.data, msgID: "copy-1", headers: copied });
    const r = await verifyStream(nats.nc, KEYRING, { streams: ["SIGNALS"], last: 3, idleMs: 1000 });
    expect(r.checked).toBe(3);
    expect(r.counts.ok).toBe(1);
    expect(r.counts.unsigned).toBe(1);
    expect(r.counts["bad-signature"]).toBe(1);
    expect(r.rejections).toEqual([
      { stream: "SIGNALS", seq: seq + 2, subject: "signals.AAPL", msgId: "unsigned-1", reason: "unsigned" },
      { stream: "SIGNALS", seq: seq + 3, subject: "signals.NVDA", msgId: "copy-1", reason: "bad-signature" },
    ]);
    const report = verificationReport(r, ["SIGNALS"]);
    expect(report[0]).toBe("checked 3 message(s) of SIGNALS");
    expect(report).toContain("  bad-signature  1");
    expect(report).toContain("2 rejected:");
    expect(report).toContain("  SIGNALS #" + (seq + 3) + "  signals.NVDA  copy-1  bad-signature");
    const filtered = await verifyStream(nats.nc, KEYRING, { streams: ["SIGNALS", "ORDERS"], subject: "signals.MSFT", idleMs: 1000 });
    expect(filtered.checked).toBe(0);
  });

  it("tickflow verify prints the verdicts and sets exit code 1 when a message is rejected", async () => {
    const saved = { env: { ...process.env }, exitCode: process.exitCode, log: console.log };
    const lines: string[] = [];
    const { dir, cleanup } = tempDir();
    const keys = join(dir, "keys");
    writeFileSync(keys, `k1=${"07".repeat(32)}\n`, { mode: 0o600 });
    process.env.NATS_URL = nats.url;
    process.env.TICKFLOW_SIGNING_KEYS_FILE = keys;
    const dbPath = join(dir, "rec.duckdb");
    await (await Database.open(dbPath)).close();
    process.env.TICKFLOW_DB = dbPath;
    delete process.env.TICKFLOW_HMAC_KEY;
    console.log = (line: string) => void lines.push(line);
    try {
      const program = new Command().exitOverride();
      registerVerify(program);
      await program.parseAsync(["node", "tickflow", "verify", "--stream", "SIGNALS", "--last", "3", "--show", "1"]);
      expect(process.exitCode).toBe(1);
      // The rejection and the counts are in the recording's audit trail.
      const db = await Database.open(dbPath);
      const audited = await db.query<{ action: string; details: string }>("SELECT action, details FROM audit_log ORDER BY seq");
      await db.close();
      expect(audited.map((a) => a.action)).toEqual(["verify.rejected", "verify.run"]);
      expect(JSON.parse(audited[1]!.details)).toMatchObject({ checked: 3 });
    } finally {
      console.log = saved.log;
      process.exitCode = saved.exitCode;
      process.env = saved.env;
      cleanup();
    }
    expect(lines[0]).toBe("checked 3 message(s) of SIGNALS");
    expect(lines).toContain("2 rejected, the first 1:");
    expect(lines.at(-1)).toMatch(/^audited: 1 rejection\(s\) and the counts appended to the audit trail of /);
  });
});
