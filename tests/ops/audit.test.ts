// The audit trail on a real DuckDB file: entries chain by hash; verification passes, then names the row that was
// modified, and notices a removed row; the anchor file catches a deleted tail, a re-chained rewrite and its own loss.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, test } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { AuditLog, auditHash, canonicalJson, GENESIS_HASH, readAuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { readAuditAnchor } from "../../ops/auditAnchor.ts";

async function threeEntries(db: Database): Promise<AuditLog> {
  let t = 1_700_000_000_000_000_000n;
  const log = await AuditLog.open(db, { actor: "test", nowNs: () => (t += 1_000_000n) });
  await log.audit("config.start", "run-1", { pipeline: "p" });
  await log.audit("run.start", "run-1", {});
  await log.audit("run.stop", "run-1", { status: "stopped" });
  return log;
}

describe("audit trail", () => {
  test("append, verify, detect a modified row and a removed row", async () => {
    await withDatabase(async (db) => {
      let t = 1_700_000_000_000_000_000n;
      const log = await AuditLog.open(db, { actor: "test", nowNs: () => (t += 1_000_000n) });
      const first = await log.audit("config.start", "run-1", { pipeline: { name: "p", b: 2, a: 1 }, big: 12n });
      await log.audit("run.start", "run-1", {});
      await log.audit("model.installed", "p", { modelId: "m-v2" });
      await log.audit("run.stop", "run-1", { status: "stopped", counters: { inputs: 10 } });

      expect(first.prevHash).toBe(GENESIS_HASH);
      expect(first.details).toBe('{"big":"12","pipeline":{"a":1,"b":2,"name":"p"}}'); // canonical: sorted keys, bigint as text
      const rows = await readAuditLog(db);
      expect(rows.map((r) => [r.seq, r.action])).toEqual([
        [1n, "config.start"],
        [2n, "run.start"],
        [3n, "model.installed"],
        [4n, "run.stop"],
      ]);
      expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
      expect(rows[0]!.tsNs).toBe(1_700_000_000_001_000_000n);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rows: 4, headHash: rows[3]!.hash, problems: [] });

      // Someone edits a row's details in place: its recomputed hash no longer matches.
      await db.run(`UPDATE audit_log SET details = $1 WHERE seq = 3`, [canonicalJson({ modelId: "m-v9" })]);
      const tampered = await verifyAuditChain(db);
      expect(tampered.ok).toBe(false);
      expect(tampered.problems).toEqual([{ seq: 3n, problem: expect.stringMatching(/^stored hash .* differs from the recomputed .*: the row was modified$/) }]);

      // Rewriting the hash too moves the break to the next row's link.
      const r3 = (await readAuditLog(db))[2]!;
      await db.run(`UPDATE audit_log SET hash = $1 WHERE seq = 3`, [auditHash(r3)]);
      expect((await verifyAuditChain(db)).problems).toEqual([
        { seq: 4n, problem: expect.stringMatching(/prev_hash .* does not match the hash of the row before/) },
      ]);

      // A removed row: the sequence jumps and the link breaks.
      await db.run(`DELETE FROM audit_log WHERE seq = 2`);
      const removed = await verifyAuditChain(db);
      expect(removed.problems.filter((p) => p.seq === 3n).map((p) => p.problem)).toEqual([
        expect.stringMatching(/sequence jumps from 1 to 3: rows missing/),
        expect.stringMatching(/prev_hash/),
      ]);
    });
  });

  test("concurrent appends from one process keep one chain", async () => {
    await withDatabase(async (db) => {
      const a = await AuditLog.open(db, { actor: "a" });
      const b = await AuditLog.open(db, { actor: "b" });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).audit("job.run", `job-${i}`, { i })));
      const v = await verifyAuditChain(db);
      expect(v).toMatchObject({ ok: true, rows: 20 });
    });
  });

  test("every append anchors the head in <db>.audit-anchor, written atomically with mode 0600", async () => {
    await withDatabase(async (db, path) => {
      await threeEntries(db);
      const rows = await readAuditLog(db);
      expect(await readAuditAnchor(`${path}.audit-anchor`)).toEqual({ rows: 3, lastSeq: 3n, headHash: rows[2]!.hash });
      expect(statSync(`${path}.audit-anchor`).mode & 0o777).toBe(0o600);
      expect(readdirSync(dirname(path)).filter((f) => f.includes(".tmp-"))).toEqual([]);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rows: 3, problems: [], warnings: [], anchor: { lastSeq: 3n } });
    });
  });

  test("a deleted last row is detected via the anchor, and nothing more is appended", async () => {
    await withDatabase(async (db) => {
      const log = await threeEntries(db);
      await db.run(`DELETE FROM audit_log WHERE seq = 3`);
      const v = await verifyAuditChain(db);
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([
        { seq: 3n, problem: expect.stringMatching(/^rows #3–#3 are missing: the anchor .* records 3 entries ending at #3 .*the tail was deleted$/) },
      ]);
      await expect(log.audit("run.start", "run-2", {})).rejects.toThrow(/audit_log does not match its anchor .*row #3 is missing; nothing is appended/);
      expect((await readAuditLog(db)).length).toBe(2);
    });
  });

  test("a re-chained rewrite (every row rewritten with a fresh valid chain) is detected via the anchor", async () => {
    await withDatabase(async (db) => {
      await threeEntries(db);
      let prev = GENESIS_HASH;
      for (const r of await readAuditLog(db)) {
        const base = { ...r, details: r.seq === 1n ? canonicalJson({ pipeline: "forged" }) : r.details, prevHash: prev };
        prev = auditHash(base);
        await db.run(`UPDATE audit_log SET details = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, [base.details, base.prevHash, prev, r.seq]);
      }
      const v = await verifyAuditChain(db);
      expect(v.problems).toEqual([
        { seq: 3n, problem: expect.stringMatching(/differs from the anchored head hash: .*the chain was rewritten at or before #3$/) },
      ]);
      expect(v.ok).toBe(false);
    });
  });

  test("a missing anchor of an anchored log is reported; --reanchor records itself and anchors again", async () => {
    await withDatabase(async (db, path) => {
      const log = await threeEntries(db);
      rmSync(`${path}.audit-anchor`);
      const v = await verifyAuditChain(db);
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([
        { seq: 1n, problem: expect.stringMatching(/^anchor file .*\.audit-anchor is missing, though the log is anchored since #1: the anchor was deleted$/) },
      ]);
      await expect(log.audit("run.start", "run-2", {})).rejects.toThrow(/audit anchor .* is missing although audit_log is anchored since #1/);

      const e = await log.reanchor("anchor lost with the old host");
      expect(e).toMatchObject({ seq: 4n, action: "audit.reanchor" });
      expect(JSON.parse(e.details)).toMatchObject({ reason: "anchor lost with the old host", previous: null });
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rows: 4, warnings: [] });
    });
  });

  test("a log recorded before anchors existed verifies with a warning, and its next entry anchors it", async () => {
    await withDatabase(async (db, path) => {
      const log = await threeEntries(db);
      rmSync(`${path}.audit-anchor`);
      await db.run(`DELETE FROM audit_anchor`); // as before anchors existed
      const v = await verifyAuditChain(db);
      expect(v).toMatchObject({ ok: true, rows: 3, problems: [] });
      expect(v.warnings).toEqual([expect.stringMatching(/^no anchor: only the chain is checked/)]);
      await log.audit("run.start", "run-2", {});
      expect(existsSync(`${path}.audit-anchor`)).toBe(true);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rows: 4, warnings: [] });
    });
  });

  test("a NATS URL with a password and secret-named options are stored redacted", async () => {
    await withDatabase(async (db) => {
      const log = await AuditLog.open(db, { actor: "test" });
      await log.audit("config.start", "run-1", { natsUrl: "nats://alice:s3cret@nats.local:4222", options: { consumer: "c", natsToken: "tok-123" } });
      const [row] = await readAuditLog(db);
      expect(row!.details).toBe('{"natsUrl":"nats://alice:***@nats.local:4222","options":{"consumer":"c","natsToken":"***"}}');
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    });
  });
});
