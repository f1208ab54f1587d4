// Once per occurrence: a cluster-scoped job runs in exactly one of the processes that schedule it (the KV lock on a
// real nats-server, and two schedulers sharing a lock on fake timers); a missed occurrence is caught up once when
// the job asks for it; a cluster job without a lock is refused at declaration.
import { afterEach, describe, expect, test, vi } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { withNats } from "../helpers/nats.ts";
import { AuditLog } from "../../ops/audit.ts";
import { readJobRuns, Scheduler, type JobDefinition, type OccurrenceLock } from "../../ops/scheduler.ts";
import { ensureJobsBucket, KvOccurrenceLock } from "../../app/jobLock.ts";
import type { Database } from "../../io/duckdb/database.ts";

afterEach(() => {
  vi.useRealTimers();
});

/** An in-memory lock with the KV lock's contract (tested on its own below against a real server). */
function memoryLock(): OccurrenceLock {
  const held = new Map<string, string>();
  let n = 0;
  return {
    async acquire(job, t) {
      const k = `${job}.${t}`;
      const h = held.get(k);
      if (h) return { acquired: false, holder: h };
      held.set(k, `p${++n}`);
      return { acquired: true };
    },
    async taken(job, t) {
      return held.has(`${job}.${t}`);
    },
  };
}

async function schedulerOn(db: Database, lock?: OccurrenceLock): Promise<Scheduler> {
  const audit = await AuditLog.open(db, { actor: "test", nowNs: () => BigInt(Date.now()) * 1_000_000n });
  return new Scheduler({ db, audit, clock: { nowMs: () => Date.now() }, timezone: "UTC", ...(lock ? { lock } : {}) });
}

describe("cluster jobs", () => {
  test("the KV lock lets exactly one of many racing acquirers take an occurrence", async () => {
    await withNats(async ({ nc }) => {
      await ensureJobsBucket(nc);
      const a = await KvOccurrenceLock.open(nc, "proc-a");
      const b = await KvOccurrenceLock.open(nc, "proc-b");
      const t = Date.parse("2025-01-06T03:00:00Z");
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquire("report", t)));
      expect(results.filter((r) => r.acquired)).toHaveLength(1);
      const losers = results.filter((r) => !r.acquired) as { holder: string }[];
      expect(new Set(losers.map((l) => l.holder)).size).toBe(1);
      expect(["proc-a", "proc-b"]).toContain(losers[0]!.holder);
      expect(await a.taken("report", t)).toBe(true);
      expect(await a.taken("report", t + 60_000)).toBe(false);
      expect((await b.acquire("report", t + 60_000)).acquired).toBe(true);
    });
  }, 60_000);

  test("two processes scheduling the same cluster job: one runs each occurrence, the other records it skipped", async () => {
    await withDatabase(async (db1) => {
      await withDatabase(async (db2) => {
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T02:59:30Z") });
        const lock = memoryLock();
        const ran: string[] = [];
        const job = (who: string): JobDefinition => ({
          name: "daily-report",
          description: "",
          cron: "0 3 * * *",
          scope: "cluster",
          run: async () => void ran.push(who),
        });
        const s1 = (await schedulerOn(db1, lock)).register(job("p1"));
        const s2 = (await schedulerOn(db2, lock)).register(job("p2"));
        s1.start();
        s2.start();
        await vi.advanceTimersByTimeAsync(31_000);
        await s1.settled();
        await s2.settled();
        s1.stop();
        s2.stop();
        vi.useRealTimers();
        expect(ran).toHaveLength(1);
        const runs = [...(await readJobRuns(db1)), ...(await readJobRuns(db2))];
        expect(runs.map((r) => r.status).sort()).toEqual(["ok", "skipped"]);
        expect(runs.find((r) => r.status === "skipped")!.error).toBe("the 2025-01-06T03:00:00.000Z occurrence was taken by p1");
      });
    });
  });

  test("a cluster job without a lock is refused when declared", async () => {
    await withDatabase(async (db) => {
      const s = await schedulerOn(db);
      expect(() => s.register({ name: "x", description: "", cron: "0 3 * * *", scope: "cluster", run: async () => undefined })).toThrow(
        /job "x" has scope cluster: the scheduler needs an occurrence lock/,
      );
    });
  });
});

describe("catch-up", () => {
  test("latest: the most recent missed occurrence runs once at start, and not again at the next start", async () => {
    await withDatabase(async (db) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T05:10:00Z") });
      const ran: number[] = [];
      const job: JobDefinition = { name: "eod", description: "", cron: "0 3 * * *", catchUp: "latest", run: async (c) => void ran.push(c.nowMs()) };
      const s = (await schedulerOn(db)).register(job);
      s.start();
      await vi.advanceTimersByTimeAsync(10);
      await s.settled();
      s.stop();
      expect(ran).toHaveLength(1);
      const [run] = await readJobRuns(db);
      expect(run!.result).toBe("catch-up of the 2025-01-06T03:00:00.000Z occurrence");
      const again = (await schedulerOn(db)).register(job);
      again.start();
      await vi.advanceTimersByTimeAsync(10);
      await again.settled();
      again.stop();
      vi.useRealTimers();
      expect(ran).toHaveLength(1);
    });
  });

  test("skip (the default) waits for the next occurrence", async () => {
    await withDatabase(async (db) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2025-01-06T05:10:00Z") });
      let calls = 0;
      const s = (await schedulerOn(db)).register({ name: "eod", description: "", cron: "0 3 * * *", run: async () => void calls++ });
      s.start();
      await vi.advanceTimersByTimeAsync(10);
      await s.settled();
      s.stop();
      vi.useRealTimers();
      expect(calls).toBe(0);
    });
  });
});
