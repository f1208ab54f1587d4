// Scheduled jobs (croner): each declared job has a cron expression, a name and params. A run that throws is
// retried with backoff (core/retry.ts), then recorded as failed; a run due while the previous one still works
// is skipped (croner `protect`) and recorded as skipped. Every run lands in `job_runs` and in the audit trail.
import { Cron } from "croner";
import { DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import type { Database } from "../io/duckdb/database.ts";
import { retry, type RetryOptions } from "../core/retry.ts";
import { canonicalJson, type AuditLog } from "./audit.ts";
import { TickflowError } from "../core/errors.ts";

export type JobParams = Readonly<Record<string, unknown>>;

export interface JobContext {
  readonly db: Database;
  readonly params: JobParams;
  /** 1 on the first try, 2 on the first retry, ... */
  readonly attempt: number;
  readonly nowMs: () => number;
}

export interface JobDefinition {
  readonly name: string;
  readonly description: string;
  /** Cron expression (5 or 6 fields, croner syntax), e.g. "0 3 * * *" for 03:00 every day. */
  readonly cron: string;
  readonly params?: JobParams;
  /**
   * process (default): every process runs it on its own recording (compaction, retention); cluster: one run per
   * scheduled occurrence across every process sharing the NATS server (needs the scheduler's `lock`).
   */
  readonly scope?: "process" | "cluster";
  /**
   * At start, an occurrence that came due while no process ran it: skip (default) waits for the next one;
   * latest runs the most recent missed occurrence once, now (recorded with that occurrence's time).
   */
  readonly catchUp?: "skip" | "latest";
  /** How far back `catchUp: latest` looks for a missed occurrence. Default 7 days. */
  readonly catchUpWindowMs?: number;
  /** Does the work; the returned text is recorded as the run's result. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a job may return a summary line or nothing at all
  run(ctx: JobContext): Promise<string | void>;
}

export type JobStatus = "ok" | "failed" | "skipped";

export interface JobRun {
  readonly job: string;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly result?: string;
  readonly error?: string;
}

/**
 * One run per (job, occurrence) across processes: `acquire` succeeds for exactly one caller, atomically (NATS KV
 * create: app/jobLock.ts). `holder` of a taken occurrence says who took it.
 */
export interface OccurrenceLock {
  acquire(job: string, occurrenceMs: number): Promise<{ acquired: true } | { acquired: false; holder: string }>;
  /** Whether an occurrence was taken (run) already, by anyone. */
  taken(job: string, occurrenceMs: number): Promise<boolean>;
}

export interface SchedulerClock {
  nowMs(): number;
}

export interface SchedulerOptions {
  readonly db: Database;
  readonly audit: AuditLog;
  /** Clock for recorded start times and durations. Default Date.now(). Croner's timers read the global clock. */
  readonly clock?: SchedulerClock;
  /** Retries of a throwing job. Default: 3 attempts, 1 s then 2 s (with jitter). Inject `sleep`/`random` in tests. */
  readonly retry?: Pick<RetryOptions, "attempts" | "baseMs" | "maxMs" | "random" | "sleep">;
  /** IANA time zone of the cron expressions. Default: the process's. */
  readonly timezone?: string;
  /** Called after each run is recorded. */
  readonly onRun?: (r: JobRun) => void;
  /** Once-per-occurrence across processes, for `scope: cluster` jobs (refused at register without it). */
  readonly lock?: OccurrenceLock;
}

const JOB_RUNS_SQL = `CREATE TABLE IF NOT EXISTS job_runs (
  job VARCHAR NOT NULL,
  started_at TIMESTAMP_NS NOT NULL,
  duration_ms DOUBLE NOT NULL,
  status VARCHAR NOT NULL,
  attempts INTEGER NOT NULL,
  params VARCHAR NOT NULL,
  result VARCHAR,
  error VARCHAR
)`;

/** A job declaration the scheduler refuses: a duplicate name or a cron expression croner cannot parse. */
export class JobDeclarationError extends TickflowError {
  static override readonly code = "JOB_DECLARATION_INVALID";
  override readonly name = "JobDeclarationError";
}

/** `runNow` was asked for a job that is not declared; the message lists the declared ones. */
export class UnknownJobError extends TickflowError {
  static override readonly code = "JOB_UNKNOWN";
  override readonly name = "UnknownJobError";
  constructor(job: string, known: readonly string[]) {
    super(`no job named "${job}"; declared jobs: ${known.join(", ") || "(none)"}`);
  }
}

export class Scheduler {
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly crons = new Map<string, Cron>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: SchedulerClock;
  private tableReady?: Promise<void>;

  constructor(private readonly o: SchedulerOptions) {
    this.clock = o.clock ?? { nowMs: () => Date.now() };
  }

  /** Declares a job; the cron expression is checked now, so a typo fails at start, naming the job. */
  register(job: JobDefinition): this {
    if (this.jobs.has(job.name)) throw new JobDeclarationError(`job "${job.name}" is declared twice`);
    try {
      new Cron(job.cron, { paused: true, timezone: this.o.timezone }).stop();
    } catch (e) {
      throw new JobDeclarationError(`job "${job.name}": invalid cron expression "${job.cron}": ${(e as Error).message}`, { cause: e });
    }
    if (job.scope === "cluster" && !this.o.lock)
      throw new JobDeclarationError(`job "${job.name}" has scope cluster: the scheduler needs an occurrence lock (NATS KV) to run it once per occurrence`);
    this.jobs.set(job.name, job);
    if (this.crons.size) this.schedule(job);
    return this;
  }

  list(): { name: string; description: string; cron: string; params: JobParams; nextRunMs?: number }[] {
    return [...this.jobs.values()].map((j) => {
      const c = new Cron(j.cron, { paused: true, timezone: this.o.timezone });
      const next = c.nextRun(new Date(this.clock.nowMs()));
      c.stop();
      return { name: j.name, description: j.description, cron: j.cron, params: j.params ?? {}, ...(next ? { nextRunMs: next.getTime() } : {}) };
    });
  }

  /**
   * Starts the timers of every declared job (unref'd: they never keep the process alive), and runs the latest
   * missed occurrence of each `catchUp: latest` job once.
   */
  start(): void {
    for (const j of this.jobs.values()) {
      if (this.crons.has(j.name)) continue;
      this.schedule(j);
      if (j.catchUp === "latest") void this.track(this.catchUp(j)).catch((e) => this.reportFailure(j, e));
    }
  }

  /** The latest occurrence before now within the window, run now if nobody ran it (lock or job_runs say). */
  private async catchUp(job: JobDefinition): Promise<JobRun | undefined> {
    const now = this.clock.nowMs();
    const c = new Cron(job.cron, { paused: true, timezone: this.o.timezone });
    const last = c.previousRuns(1, new Date(now))[0];
    c.stop();
    if (!last || now - last.getTime() > (job.catchUpWindowMs ?? 7 * 86_400_000)) return undefined;
    const occurrence = last.getTime();
    if (job.scope === "cluster") {
      if (await this.o.lock!.taken(job.name, occurrence)) return undefined;
    } else {
      const runs = await readJobRuns(this.o.db, { job: job.name, limit: 1 });
      if (runs.length > 0 && runs[0]!.startedAtMs >= occurrence) return undefined;
    }
    return this.occurrence(job, occurrence, `catch-up of the ${new Date(occurrence).toISOString()} occurrence`);
  }

  /** One scheduled occurrence: for a cluster job only the process that takes its lock runs it. */
  private async occurrence(job: JobDefinition, occurrenceMs: number, note?: string): Promise<JobRun> {
    if (job.scope === "cluster") {
      const got = await this.o.lock!.acquire(job.name, occurrenceMs);
      if (!got.acquired) {
        return this.record(job, {
          job: job.name,
          startedAtMs: this.clock.nowMs(),
          durationMs: 0,
          status: "skipped",
          attempts: 0,
          error: `the ${new Date(occurrenceMs).toISOString()} occurrence was taken by ${got.holder}`,
        });
      }
    }
    return this.execute(job, note);
  }

  /** Runs a job now (as `tickflow jobs run NAME` does), with the same retries and recording. */
  runNow(name: string): Promise<JobRun> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new UnknownJobError(name, [...this.jobs.keys()]));
    return this.track(this.execute(job));
  }

  /** Stops every timer; runs already started finish (await `settled()`). */
  stop(): void {
    for (const c of this.crons.values()) c.stop();
    this.crons.clear();
  }

  /** Resolves when every run started so far is recorded. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private schedule(job: JobDefinition): void {
    const cron = new Cron(
      job.cron,
      {
        timezone: this.o.timezone,
        unref: true,
        protect: () =>
          void this.track(
            this.record(job, {
              job: job.name,
              startedAtMs: this.clock.nowMs(),
              durationMs: 0,
              status: "skipped",
              attempts: 0,
              error: "the previous run was still working",
            }),
          ).catch((e) => this.reportFailure(job, e)),
      },
      // croner does not await or catch the callback: a failure to record a run must not become an unhandled
      // rejection (which ends the process).
      async () => {
        await this.track(this.occurrence(job, this.scheduledTime(job))).catch((e) => this.reportFailure(job, e));
      },
    );
    this.crons.set(job.name, cron);
  }

  /**
   * The occurrence a timer fired for: the pattern's latest time at or before now (+0.5 s, as timers may fire a
   * little early), the same in every process, so it keys the occurrence lock.
   */
  private scheduledTime(job: JobDefinition): number {
    const now = this.clock.nowMs();
    const c = new Cron(job.cron, { paused: true, timezone: this.o.timezone });
    const t = c.previousRuns(1, new Date(now + 500))[0];
    c.stop();
    return t?.getTime() ?? now;
  }

  /** A job run that could not even be recorded: said once on stderr, never thrown into croner. */
  private reportFailure(job: JobDefinition, e: unknown): void {
    process.stderr.write(`tickflow: job ${job.name}: could not run or record the run: ${(e as Error)?.message ?? String(e)}\n`);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async execute(job: JobDefinition, note?: string): Promise<JobRun> {
    const startedAtMs = this.clock.nowMs();
    let attempts = 0;
    let run: JobRun;
    try {
      const result = await retry(
        (attempt) => {
          attempts = attempt;
          return job.run({ db: this.o.db, params: job.params ?? {}, attempt, nowMs: () => this.clock.nowMs() });
        },
        { attempts: 3, baseMs: 1000, maxMs: 30_000, ...this.o.retry },
      );
      run = {
        job: job.name,
        startedAtMs,
        durationMs: this.clock.nowMs() - startedAtMs,
        status: "ok",
        attempts,
        ...(typeof result === "string" || note ? { result: [note, typeof result === "string" ? result : undefined].filter(Boolean).join(": ") } : {}),
      };
    } catch (e) {
      const cause = (e as Error).cause ?? e;
      run = {
        job: job.name,
        startedAtMs,
        durationMs: this.clock.nowMs() - startedAtMs,
        status: "failed",
        attempts,
        error: (cause as Error)?.message ?? String(cause),
      };
    }
    await this.record(job, run);
    return run;
  }

  private async record(job: JobDefinition, r: JobRun): Promise<JobRun> {
    this.tableReady ??= this.o.db.run(JOB_RUNS_SQL).catch((e) => {
      this.tableReady = undefined; // try again next time rather than caching the failure
      throw e;
    });
    await this.tableReady;
    await this.o.db.run(`INSERT INTO job_runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      r.job,
      new DuckDBTimestampNanosecondsValue(BigInt(r.startedAtMs) * 1_000_000n),
      r.durationMs,
      r.status,
      r.attempts,
      canonicalJson(job.params ?? {}),
      r.result ?? null,
      r.error ?? null,
    ]);
    await this.o.audit.audit("job.run", job.name, {
      status: r.status,
      durationMs: r.durationMs,
      attempts: r.attempts,
      params: job.params ?? {},
      ...(r.result ? { result: r.result } : {}),
      ...(r.error ? { error: r.error } : {}),
    });
    this.o.onRun?.(r);
    return r;
  }
}

/** Recorded runs, newest first. */
export async function readJobRuns(db: Database, o: { job?: string; limit?: number } = {}): Promise<(JobRun & { params: string })[]> {
  await db.run(JOB_RUNS_SQL);
  const rows = await db.query<{
    job: string;
    started: bigint;
    duration_ms: number;
    status: JobStatus;
    attempts: number;
    params: string;
    result: string | null;
    error: string | null;
  }>(
    `SELECT job, epoch_ms(started_at) AS started, duration_ms, status, attempts, params, result, error FROM job_runs ${o.job ? "WHERE job = $1" : ""} ORDER BY started_at DESC, rowid DESC LIMIT ${Math.max(1, Math.floor(o.limit ?? 100))}`,
    o.job ? [o.job] : undefined,
  );
  return rows.map((r) => ({
    job: r.job,
    startedAtMs: Number(r.started),
    durationMs: r.duration_ms,
    status: r.status,
    attempts: r.attempts,
    params: r.params,
    ...(r.result !== null ? { result: r.result } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  }));
}
