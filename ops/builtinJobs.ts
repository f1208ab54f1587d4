// The jobs every long-running tickflow process declares: nightly DuckDB compaction and dead-letter retention,
// plus `reportJob` for others (the trading layer's daily report) to declare theirs.
import type { JobContext, JobDefinition, JobParams } from "./scheduler.ts";

/** `CHECKPOINT`: writes the WAL into the database file and reclaims space of deleted rows. */
export function compactJob(cron = "0 3 * * *"): JobDefinition {
  return {
    name: "compact",
    description: "DuckDB CHECKPOINT: fold the write-ahead log into the file",
    cron,
    async run({ db }) {
      await db.run("CHECKPOINT");
      return "checkpointed";
    },
  };
}

/**
 * Deletes recorded dead letters older than `days` (by when they were observed, or else by their run's start).
 * The dlq.* JetStream stream keeps its own limits.
 */
export function retentionJob(days = 30, cron = "30 3 * * *"): JobDefinition {
  if (!(days > 0)) throw new RangeError(`retention days must be > 0, got ${days}`);
  return {
    name: "retention",
    description: `delete dead letters older than ${days} days from the dead_letters table`,
    cron,
    params: { days },
    async run({ db, params, nowMs }) {
      const exists = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'dead_letters'`);
      if (exists[0]!.n === 0n) return "no dead_letters table";
      const cutoffNs = BigInt(Math.floor(nowMs() - Number(params["days"]) * 86_400_000)) * 1_000_000n;
      const where = `coalesce(epoch_ns(d.ts_observed), (SELECT epoch_ns(r.started_at) FROM runs r WHERE r.run_id = d.run_id)) < $1`;
      const before = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM dead_letters d WHERE ${where}`, [cutoffNs]);
      await db.run(`DELETE FROM dead_letters d WHERE ${where}`, [cutoffNs]);
      return `deleted ${before[0]!.n} dead letters older than ${params["days"]} days`;
    },
  };
}

/** A report job: `produce` gets the database and params and returns the report's text (recorded as the run's result). */
export function reportJob(
  name: string,
  cron: string,
  produce: (ctx: JobContext) => Promise<string>,
  params: JobParams = {},
  description = `report ${name}`,
): JobDefinition {
  return { name, description, cron, params, run: produce };
}

/** Report jobs others registered in this process (e.g. at import time of the trading layer). */
const reportHooks: JobDefinition[] = [];

export function registerReport(job: JobDefinition): void {
  if (reportHooks.some((j) => j.name === job.name)) throw new Error(`report job "${job.name}" is registered twice`);
  reportHooks.push(job);
}

/** compact, retention and every registered report. */
export function defaultJobs(o: { retentionDays?: number } = {}): JobDefinition[] {
  return [compactJob(), retentionJob(o.retentionDays ?? 30), ...reportHooks];
}
