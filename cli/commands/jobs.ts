// `tickflow jobs list` / `tickflow jobs run NAME`: the scheduled jobs a long-running process declares, their
// next and last runs; run one now (recorded in job_runs and the audit trail like a scheduled run).
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { AuditLog } from "../../ops/audit.ts";
import { defaultJobs } from "../../ops/builtinJobs.ts";
import { cliActor } from "../../app/liveOps.ts";
import { readJobRuns, Scheduler } from "../../ops/scheduler.ts";

export function register(program: Command): void {
  const jobs = program.command("jobs").description("scheduled jobs (compact, retention, reports): list them, or run one now");
  jobs
    .command("list", { isDefault: true })
    .description("declared jobs with their cron expression, next run and last recorded run")
    .action(async () => {
      const db = await openDatabase(config(), { mustExist: true });
      try {
        const scheduler = new Scheduler({ db, audit: await AuditLog.open(db, { actor: cliActor() }) });
        for (const j of defaultJobs()) scheduler.register(j);
        for (const j of scheduler.list()) {
          const [last] = await readJobRuns(db, { job: j.name, limit: 1 });
          console.log(`${j.name.padEnd(12)} ${j.cron.padEnd(14)} next ${j.nextRunMs ? new Date(j.nextRunMs).toISOString() : "never"}  ${j.description}`);
          if (Object.keys(j.params).length) console.log(`${"".padEnd(13)}params ${JSON.stringify(j.params)}`);
          console.log(
            `${"".padEnd(13)}last: ${last ? `${new Date(last.startedAtMs).toISOString()} ${last.status} in ${last.durationMs.toFixed(0)} ms after ${last.attempts} attempt(s)${last.error ? `: ${last.error}` : last.result ? `: ${last.result}` : ""}` : "never run"}`,
          );
        }
      } finally {
        await db.close();
      }
    });
  jobs
    .command("run")
    .description("run a job now, with the same retries and recording as a scheduled run")
    .argument("<name>", "job name, e.g. compact or retention")
    .action(async (name: string) => {
      const db = await openDatabase(config(), { mustExist: true });
      try {
        const scheduler = new Scheduler({ db, audit: await AuditLog.open(db, { actor: cliActor() }), retry: { attempts: 3, baseMs: 500, maxMs: 5000 } });
        for (const j of defaultJobs()) scheduler.register(j);
        const r = await scheduler.runNow(name);
        console.log(
          `${r.job}: ${r.status} in ${r.durationMs.toFixed(0)} ms after ${r.attempts} attempt(s)${r.result ? `: ${r.result}` : ""}${r.error ? `: ${r.error}` : ""}`,
        );
        if (r.status !== "ok") process.exitCode = 1;
      } finally {
        await db.close();
      }
    });
}
