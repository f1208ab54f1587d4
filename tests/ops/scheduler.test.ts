// Scheduled jobs on fake timers (croner reads the global clock, so vitest's fake Date and setTimeout drive it)
// and a real DuckDB file: a due job runs and is recorded; a throwing job is retried with backoff and recorded as
// failed; a run due while the previous one works is skipped and recorded; everything lands in the audit trail.
import { afterEach, describe, expect, test, vi } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { AuditLog, readAuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { readJobRuns, Scheduler, type JobDefinition } from "../../ops/scheduler.ts";
import { compactJob, retentionJob } from "../../ops/builtinJobs.ts";
import type { Database } from "../../io/duckdb/database.ts";

const fakeClock = { nowMs: () => Date.now() }; // Date is faked below

async function scheduler(db: Database, delays: number[] = []): Promise<Scheduler> {
  const audit = await AuditLog.open(db, { actor: "test", nowNs: () => BigInt(Date.now()) * 1_000_000n });
  return new Scheduler({
    db,
    audit,
    clock: fakeClock,
    timezone: "UTC",
    retry: { attempts: 3, baseMs: 100, maxMs: 1000, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("scheduler", () => {
  test("a job runs when its cron time comes, not before, and is recorded with status and duration", async () => {
    await withDatabase(async (db) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T02:59:30Z") });
      const s = await scheduler(db);
      const ran: number[] = [];
      s.register({
        ...compactJob("0 3 * * *"),
        run: async (ctx) => {
          ran.push(ctx.nowMs());
          await ctx.db.run("CHECKPOINT");
          return "checkpointed";
        },
      });
      expect(s.list()).toEqual([expect.objectContaining({ name: "compact", cron: "0 3 * * *", nextRunMs: Date.parse("2025-01-06T03:00:00Z") })]);
      s.start();
      await vi.advanceTimersByTimeAsync(29_000);
      await s.settled();
      expect(ran).toEqual([]);
      await vi.advanceTimersByTimeAsync(2_000);
      await s.settled();
      expect(ran).toEqual([Date.parse("2025-01-06T03:00:00Z")]);
      s.stop();
      vi.useRealTimers();

      const runs = await readJobRuns(db);
      expect(runs[0]!.durationMs).toBeGreaterThanOrEqual(0); // on the fake clock, which timers advance while the job awaits DuckDB
      expect(runs).toEqual([
        {
          job: "compact",
          startedAtMs: Date.parse("2025-01-06T03:00:00Z"),
          durationMs: expect.any(Number),
          status: "ok",
          attempts: 1,
          params: "{}",
          result: "checkpointed",
        },
      ]);
      const audit = await readAuditLog(db);
      expect(audit.map((a) => [a.action, a.subject, JSON.parse(a.details)])).toEqual([
        ["job.run", "compact", { attempts: 1, durationMs: expect.any(Number), params: {}, result: "checkpointed", status: "ok" }],
      ]);
    });
  });

  test("a throwing job is retried with backoff, then recorded as failed", async () => {
    await withDatabase(async (db) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T03:29:59Z") });
      const delays: number[] = [];
      const s = await scheduler(db, delays);
      let calls = 0;
      s.register({
        name: "flaky-report",
        description: "always fails",
        cron: "30 3 * * *",
        params: { to: "desk" },
        run: async ({ attempt }) => {
          calls++;
          throw new Error(`mail server down (attempt ${attempt})`);
        },
      });
      s.start();
      await vi.advanceTimersByTimeAsync(1_000);
      await s.settled();
      s.stop();
      vi.useRealTimers();
      expect(calls).toBe(3);
      expect(delays).toEqual([50, 100]); // full jitter at random 0.5 of 100·2^(n-1)
      const [run] = await readJobRuns(db);
      expect(run).toMatchObject({ job: "flaky-report", status: "failed", attempts: 3, error: "mail server down (attempt 3)", params: '{"to":"desk"}' });
      const [entry] = await readAuditLog(db);
      expect(JSON.parse(entry!.details)).toMatchObject({ status: "failed", attempts: 3, error: "mail server down (attempt 3)" });
    });
  });

  test("a job that fails once then succeeds is recorded ok after 2 attempts (runNow)", async () => {
    await withDatabase(async (db) => {
      const s = await scheduler(db);
      let calls = 0;
      s.register({
        name: "once-flaky",
        description: "",
        cron: "0 0 * * *",
        run: async () => {
          if (++calls === 1) throw new Error("busy");
          return "done";
        },
      });
      expect(await s.runNow("once-flaky")).toMatchObject({ status: "ok", attempts: 2, result: "done" });
      await expect(s.runNow("nope")).rejects.toThrow(/no job named "nope"; declared jobs: once-flaky/);
    });
  });

  test("a run due while the previous one still works is skipped (croner protect) and recorded as skipped", async () => {
    await withDatabase(async (db) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T00:00:00.500Z") });
      const s = await scheduler(db);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started = 0;
      const slow: JobDefinition = {
        name: "slow",
        description: "",
        cron: "* * * * * *",
        run: async () => {
          started++;
          await gate;
        },
      };
      s.register(slow);
      s.start();
      await vi.advanceTimersByTimeAsync(600); // 00:00:01: first run starts and blocks
      expect(started).toBe(1);
      await vi.advanceTimersByTimeAsync(1_000); // 00:00:02: due again while busy
      await vi.advanceTimersByTimeAsync(10);
      s.stop();
      release();
      await s.settled();
      vi.useRealTimers();
      expect(started).toBe(1);
      const runs = await readJobRuns(db, { job: "slow" });
      expect(runs.map((r) => r.status).sort()).toEqual(["ok", "skipped"]);
      expect(runs.find((r) => r.status === "skipped")).toMatchObject({ attempts: 0, error: "the previous run was still working" });
      expect((await verifyAuditChain(db)).rows).toBe(2);
    });
  });

  test("declaring a bad cron expression or a duplicate fails naming the job", async () => {
    await withDatabase(async (db) => {
      const s = await scheduler(db);
      expect(() => s.register({ ...compactJob("61 * * * *") })).toThrow(/job "compact": invalid cron expression "61 \* \* \* \*"/);
      s.register(compactJob());
      expect(() => s.register(compactJob())).toThrow(/job "compact" is declared twice/);
    });
  });

  test("retention deletes dead letters older than N days by their run's start", async () => {
    await withDatabase(async (db) => {
      const { startRunRecord } = await import("../../replay/runs.ts");
      const { DuckDbRecorder } = await import("../../sinks/duckDbRecorder.ts");
      const { DeadLetterMessage } = await import("../../schemas/deadLetter.ts");
      const day = 86_400_000_000_000n;
      const now = 1_736_000_000_000n; // ms
      await startRunRecord(db, { runId: "old", pipeline: "p", mode: "live", startedAt: now * 1_000_000n - 40n * day });
      await startRunRecord(db, { runId: "new", pipeline: "p", mode: "live", startedAt: now * 1_000_000n - 1n * day });
      const sink = new DuckDbRecorder(db);
      const letter = (ref: string) => ({ stage: "decode", subject: "md.trades.X", ref, reason: "bad", payload: "{}" });
      await sink.writeOutputs(DeadLetterMessage, "old", [letter("a"), letter("b")], 0n);
      await sink.writeOutputs(DeadLetterMessage, "new", [letter("c")], 0n);
      const audit = await AuditLog.open(db, { actor: "test" });
      const s = new Scheduler({ db, audit, clock: { nowMs: () => Number(now) } });
      s.register(retentionJob(30));
      expect(await s.runNow("retention")).toMatchObject({ status: "ok", result: "deleted 2 dead letters older than 30 days" });
      expect(await db.query(`SELECT run_id, ref FROM dead_letters`)).toEqual([{ run_id: "new", ref: "c" }]);
    });
  });
});
