// Paper trading live and a replay of the same data fill identically: ORCL daily bars imported into a real
// nats-server and DuckDB, the reference sma-crossover pipeline run live (orders and fills signed, v2, and published
// on orders.ORCL / fills.ORCL), then replayed twice from the recording.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { Database } from "../../io/duckdb/database.ts";
import { importFile } from "../../sources/importFile.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { AuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { replay } from "../../replay/replay.ts";
import { recordedRun } from "../../replay/runs.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { FillMessage, type Fill } from "../../schemas/fill.ts";
import { OrderMessage } from "../../schemas/order.ts";
import { type Keyring, MSG_ID_HEADER, SignatureVerifier } from "../../core/signing.ts";
import { loadKeyring } from "../../sinks/signingKeys.ts";
import { orclCsv } from "./pipelineHelpers.ts";

const KEY = "live-vs-replay-test-key-0123456789";
const keyring = (key = KEY): Keyring => loadKeyring({ env: { TICKFLOW_HMAC_KEY: key } })!;
const PIPELINE = fileURLToPath(new URL("../../pipelines/sma-crossover.yaml", import.meta.url));

interface Published {
  subject: string;
  data: Uint8Array;
  msgId: string | undefined;
  headers: Record<string, string>;
}

describe("live paper run vs replay (real nats-server + DuckDB)", () => {
  let nats: NatsFixture;
  let db: Database;
  let cleanup: () => void;
  let live: RunSummary;
  let replays: RunSummary[];
  let published: Published[];
  const savedKey = process.env.TICKFLOW_HMAC_KEY;

  beforeAll(async () => {
    process.env.TICKFLOW_HMAC_KEY = KEY;
    nats = await startNats();
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
    const csv = join(tmp.dir, "ORCL.csv");
    writeFileSync(csv, orclCsv());
    const imported = await importFile(nats.nc, db, { file: csv, symbol: "ORCL" });
    expect(imported.parsed).toBe(250);

    const pipeline = await loadPipeline(PIPELINE);
    const audit = await AuditLog.open(db, { actor: "run:paper-live" });
    await audit.audit("run.start", "paper-live");
    const run = new LiveRun({ pipeline, nc: nats.nc, db, runId: "paper-live", print: () => undefined, audit });
    await run.start();
    await run.waitFor(() => run.run.counters.inputs >= 250);
    live = await run.stop();

    replays = [];
    // The live run was stopped, not finished: its open state waits in its checkpoint, so the replays stop where it stands.
    const openAt = (await recordedRun(db, "paper-live"))!.openAt;
    expect(openAt).toBeDefined();
    for (const runId of ["replay-1", "replay-2"]) replays.push(await replay({ pipeline, db, runId, batchSize: 100, openAt }));

    const js = jetstream(nats.nc);
    const consumer = await js.consumers.get("ORDERS"); // the stream holds orders.> and fills.> only
    const info = await (await js.streams.get("ORDERS")).info();
    published = [];
    const batch = await consumer.fetch({ max_messages: info.state.messages, expires: 5000 });
    for await (const m of batch) {
      const headers: Record<string, string> = {};
      for (const k of m.headers?.keys() ?? []) headers[k] = m.headers!.get(k);
      published.push({ subject: m.subject, data: m.data, msgId: m.headers?.get("Nats-Msg-Id"), headers });
      if (published.length === info.state.messages) break;
    }
  });

  afterAll(async () => {
    if (savedKey === undefined) delete process.env.TICKFLOW_HMAC_KEY;
    else process.env.TICKFLOW_HMAC_KEY = savedKey;
    await db?.close();
    await stopNats(nats);
    cleanup?.();
  });

  const fillsOf = async (runId: string): Promise<Record<string, unknown>[]> =>
    db.query(`SELECT * EXCLUDE (run_id) FROM fills WHERE run_id = $1 ORDER BY out_seq`, [runId]);

  it("records the same fills, bar by bar, live and in replay", async () => {
    const liveFills = await fillsOf("paper-live");
    expect(liveFills.length).toBeGreaterThan(4);
    expect(await fillsOf("replay-1")).toEqual(liveFills);
    expect(live.perNodeDigest.fills).toBe(replays[0]!.perNodeDigest.fills);
    // One snapshot per bar the watermark has passed: the last bar waits (in the checkpoint) for the next one.
    expect(live.counters.outputs.equity).toBe(249);
  });

  it("appended every recorded order state and fill to the audit trail, chained and anchored", async () => {
    const audited = await db.query<{ action: string; subject: string; details: string }>(
      `SELECT action, subject, details FROM audit_log WHERE action LIKE 'order.%' OR action = 'fill' ORDER BY seq`,
    );
    const orders = await db.query<{ id: string; status: string }>(`SELECT id, status FROM orders WHERE run_id = 'paper-live' ORDER BY out_seq`);
    const fills = await db.query<{ id: string }>(`SELECT id FROM fills WHERE run_id = 'paper-live' ORDER BY out_seq`);
    expect(orders.length).toBeGreaterThan(4);
    expect(audited.filter((a) => a.action.startsWith("order.")).map((a) => [a.action, a.subject])).toEqual(orders.map((o) => [`order.${o.status}`, o.id]));
    expect(audited.filter((a) => a.action === "fill").map((a) => a.subject)).toEqual(fills.map((f) => f.id));
    expect(JSON.parse(audited[0]!.details)).toMatchObject({ run: "paper-live", node: "orders" });
    const v = await verifyAuditChain(db);
    expect([v.ok, v.problems]).toEqual([true, []]);
    expect(v.anchor?.lastSeq).toBe(BigInt(audited.length + 1));
  });

  it("gives the same digest live and in both replays (same trades, same snapshots)", () => {
    expect(replays[0]!.digest).toBe(live.digest);
    expect(replays[1]!.digest).toBe(replays[0]!.digest);
    expect(replays[1]!.counters.outputs).toEqual(live.counters.outputs);
  });

  it("published every order state and fill once, signed, with deterministic message ids", async () => {
    const fills = published.filter((p) => p.subject === "fills.ORCL");
    const orders = published.filter((p) => p.subject === "orders.ORCL");
    expect(fills).toHaveLength(live.counters.outputs.fills!);
    expect(orders).toHaveLength(live.counters.outputs.orders!);
    // Signed (v2) with the legacy TICKFLOW_HMAC_KEY, key id `default`, when published: fresh now.
    const verifier = new SignatureVerifier(keyring());
    for (const p of published) expect(verifier.verify(p), p.msgId).toEqual({ ok: true, keyId: "default" });
    const decoded = fills.map((p) => FillMessage.decodeBytes(p.data, p.subject) as Fill);
    expect(fills.map((p) => p.msgId)).toEqual(decoded.map((f) => f.id));
    const recorded = await fillsOf("paper-live");
    expect(decoded.map((f) => f.id)).toEqual(recorded.map((r) => r.id));
    const o = OrderMessage.decodeBytes(orders[0]!.data, "orders.ORCL");
    expect(orders[0]!.msgId).toBe(`${o.id}:r0:${o.status}:${o.filledQty}`);
  });

  it("a tampered payload, a wrong key, a new message id, another subject or a missing signature fails verification", () => {
    const p = published.find((x) => x.subject === "fills.ORCL")!;
    const text = new TextDecoder().decode(p.data);
    const tampered = new TextEncoder().encode(text.replace(/"qty":(\d+)/, (_m, q) => `"qty":${Number(q) + 1}`));
    expect(tampered).not.toEqual(p.data);
    const verdict = (m: Published, k: Keyring = keyring()) => {
      const v = new SignatureVerifier(k).verify(m);
      return v.ok ? "ok" : v.reason;
    };
    expect(verdict(p)).toBe("ok");
    expect(verdict({ ...p, data: tampered })).toBe("bad-signature");
    expect(verdict(p, keyring(KEY + "x"))).toBe("bad-signature");
    expect(verdict({ ...p, headers: { ...p.headers, [MSG_ID_HEADER]: `${p.msgId}-again` } })).toBe("bad-signature");
    expect(verdict({ ...p, subject: "fills.MSFT" })).toBe("bad-signature");
    const { "Tickflow-Signature": signature, ...unsigned } = p.headers;
    expect(verdict({ ...p, headers: unsigned })).toBe("unsigned");
    expect(verdict({ ...p, headers: { ...p.headers, "Tickflow-Signature": signature!.toUpperCase() } })).toBe("malformed");
  });
});
