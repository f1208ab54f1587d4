// The audit trail on a real DuckDB file: entries chain by hash; verification passes, then names the row that was
// modified, and notices a removed row.
import { describe, expect, test } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { AuditLog, auditHash, canonicalJson, GENESIS_HASH, readAuditLog, verifyAuditChain } from "../../ops/audit.ts";

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
});
