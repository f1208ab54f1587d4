// The `runs` table: one row per live or replay run, so runs can be listed and compared with SQL.
import type { Database } from "../io/duckdb/database.ts";
import type { RunSummary } from "../runtime/pipelineRun.ts";
import type { RunJournal } from "../runtime/runDriver.ts";
import type { RunMode, RunStatus } from "../runtime/ports.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { InstrumentInput } from "../trading/instrument.ts";
import { createTableSql, MODEL_INSTALLS_LAYOUT, RUN_EVENTS_LAYOUT, RUNS_LAYOUT } from "../sinks/recordingTables.ts";
import { DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import { TickflowError } from "../core/errors.ts";

/** A run id that is already recorded and cannot be continued: run records are never overwritten. */
export class RunExistsError extends TickflowError {
  static override readonly code = "RUN_EXISTS";
  static override readonly refusal = true;
  override readonly name = "RunExistsError";
}

/** Instrument specs (multiplier, margin ...) declared by a pipeline's broker nodes: kept with each run. */
export function pipelineInstruments(p: CompiledPipeline): InstrumentInput[] {
  return p.nodes.flatMap((n) => (n.params as { instruments?: InstrumentInput[] }).instruments ?? []);
}

/** The instruments a run recorded with it (empty for runs recorded before they were kept). */
export async function runInstruments(db: Database, runId: string): Promise<InstrumentInput[]> {
  const rows = await db.query<{ params: string | null }>(`SELECT params FROM runs WHERE run_id = $1`, [runId]);
  const params = rows[0]?.params ? (JSON.parse(rows[0].params) as { instruments?: InstrumentInput[] }) : {};
  return params.instruments ?? [];
}

/**
 * Inserts a run's record (status running). A run id that is already recorded is refused: a record is never
 * overwritten (resuming a checkpointed run goes through resumeRunRecord).
 */
export async function startRunRecord(db: Database, r: { runId: string; pipeline: string; mode: RunMode; startedAt: bigint; params?: unknown }): Promise<void> {
  await db.run(createTableSql(RUNS_LAYOUT));
  const existing = await db.query<{ status: string; mode: string }>(`SELECT status, mode FROM runs WHERE run_id = $1`, [r.runId]);
  if (existing[0])
    throw new RunExistsError(
      `run ${r.runId} is already recorded (${existing[0].mode}, ${existing[0].status}) and has no checkpoint to continue from; run records are never overwritten: give another --run-id`,
    );
  await db.run(`INSERT INTO runs (run_id, pipeline, mode, started_at, status, params) VALUES ($1, $2, $3, $4, 'running', $5)`, [
    r.runId,
    r.pipeline,
    r.mode,
    new DuckDBTimestampNanosecondsValue(r.startedAt),
    JSON.stringify(r.params ?? {}),
  ]);
}

export async function finishRunRecord(db: Database, s: RunSummary, finishedAt: bigint, status: RunStatus): Promise<void> {
  const outputs = Object.values(s.counters.outputs).reduce((a, b) => a + b, 0);
  await db.run(`UPDATE runs SET finished_at = $1, status = $2, inputs = $3, outputs = $4, dead_letters = $5, late = $6, digest = $7 WHERE run_id = $8`, [
    new DuckDBTimestampNanosecondsValue(finishedAt),
    status,
    BigInt(s.counters.inputs),
    BigInt(outputs),
    BigInt(s.counters.deadLetters),
    BigInt(s.counters.late),
    s.digest,
    s.runId,
  ]);
}

const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Appends to a run's history (run_events). */
export async function recordRunEvent(db: Database, runId: string, at: bigint, event: string, detail?: string): Promise<void> {
  await db.run(createTableSql(RUN_EVENTS_LAYOUT));
  await db.run(`INSERT INTO run_events VALUES ($1, $2, $3, $4)`, [runId, new DuckDBTimestampNanosecondsValue(at), event, detail ?? null]);
}

/** Runs this process has started and not yet closed: every other `running` row of a file this process holds is dead. */
const activeRuns = new Set<string>();

/**
 * Marks the runs left `running` by a process that died (kill -9, power loss) as `interrupted`: DuckDB lets one
 * process write a file, so a `running` row not started by this process has no process any more.
 */
export async function markInterruptedRuns(db: Database, at: bigint): Promise<string[]> {
  await db.run(createTableSql(RUNS_LAYOUT));
  const rows = await db.query<{ run_id: string }>(`SELECT run_id FROM runs WHERE status = 'running'`);
  const dead = rows.map((r) => r.run_id).filter((id) => !activeRuns.has(`${db.path}\0${id}`));
  for (const id of dead) {
    await db.run(`UPDATE runs SET status = 'interrupted' WHERE run_id = $1`, [id]);
    await recordRunEvent(db, id, at, "interrupted", "found running by a later process: the process that ran it died");
  }
  return dead;
}

/** The run record in the `runs` table: started when the driver starts, closed with the summary and status. */
export class DuckDbRunJournal implements RunJournal {
  private runId?: string;
  constructor(
    private readonly db: Database,
    /** Extra parameters kept with the run (range, options); instruments are always kept. */
    private readonly params: Record<string, unknown> = {},
    /** Wall clock of the run record (never read by operators). */
    private readonly now: () => bigint = wallNs,
  ) {}

  async start(r: { runId: string; pipeline: CompiledPipeline; mode: RunMode; resumedFrom?: { seq: bigint; inputs: number } }): Promise<void> {
    const now = this.now();
    await markInterruptedRuns(this.db, now);
    if (r.resumedFrom) {
      const rows = await this.db.query<{ status: string }>(`SELECT status FROM runs WHERE run_id = $1`, [r.runId]);
      if (rows[0]?.status === "finished") throw new RunExistsError(`run ${r.runId} has finished; a finished run is not continued: give another --run-id`);
      await this.db.run(`UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = $1`, [r.runId]);
      await recordRunEvent(this.db, r.runId, now, "resumed", `from checkpoint ${r.resumedFrom.seq} after ${r.resumedFrom.inputs} inputs`);
      this.active(r.runId);
      return;
    }
    // The time-zone database decides session and day boundaries (resample, sessions): a replay under another
    // version can cut bars differently, so the version is kept with the run and compared by `replay --run`.
    // The broker nodes' parameters and the statistics convention, for `tickflow report` (strategy, costs, convention).
    const brokers = Object.fromEntries(r.pipeline.nodes.filter((n) => n.kind === "brokerEvent").map((n) => [n.name, n.params]));
    const params = {
      ...this.params,
      instruments: pipelineInstruments(r.pipeline),
      tz: process.versions.tz,
      node: process.version,
      ...(Object.keys(brokers).length ? { brokers } : {}),
      ...(r.pipeline.decl.stats ? { stats: r.pipeline.decl.stats } : {}),
    };
    if (r.mode === "live" && (await this.committedNothing(r.runId))) {
      // Killed (or failed) before its first batch committed: nothing of it exists but its record, so it starts over,
      // recorded as what runs now.
      await this.db.run(`UPDATE runs SET status = 'running', finished_at = NULL, pipeline = $2, started_at = $3, params = $4 WHERE run_id = $1`, [
        r.runId,
        r.pipeline.decl.name,
        new DuckDBTimestampNanosecondsValue(now),
        JSON.stringify(params),
      ]);
      await recordRunEvent(this.db, r.runId, now, "restarted", "no batch was committed before it stopped");
      this.active(r.runId);
      return;
    }
    await startRunRecord(this.db, { runId: r.runId, pipeline: r.pipeline.decl.name, mode: r.mode, startedAt: now, params });
    await recordRunEvent(this.db, r.runId, now, "started", r.mode);
    this.active(r.runId);
  }

  /** A live run recorded as not running whose batches never committed: no input, dead letter or checkpoint of it. */
  private async committedNothing(runId: string): Promise<boolean> {
    const [run] = await this.db.query<{ status: string; mode: string }>(`SELECT status, mode FROM runs WHERE run_id = $1`, [runId]);
    if (run?.mode !== "live" || !["interrupted", "failed", "stopped"].includes(run.status)) return false;
    const tables = new Set((await this.db.query<{ t: string }>("SELECT table_name t FROM information_schema.tables")).map((x) => x.t));
    for (const t of ["run_inputs", "dead_letters", "checkpoints"]) {
      if (!tables.has(t)) continue;
      const [n] = await this.db.query<{ n: bigint }>(`SELECT count(*) n FROM ${t} WHERE run_id = $1`, [runId]);
      if (n!.n > 0n) return false;
    }
    return true;
  }

  private active(runId: string): void {
    this.runId = runId;
    activeRuns.add(`${this.db.path}\0${runId}`);
  }

  async finish(summary: RunSummary, status: RunStatus): Promise<void> {
    try {
      const now = this.now();
      await finishRunRecord(this.db, summary, now, status);
      await recordRunEvent(this.db, summary.runId, now, status, `${summary.counters.inputs} inputs, digest ${summary.digest}`);
    } finally {
      if (this.runId) activeRuns.delete(`${this.db.path}\0${this.runId}`);
    }
  }
}

/** A run's recorded status (running, stopped, finished, failed, interrupted); undefined when the run is not recorded. */
export async function recordedRunStatus(db: Database, runId: string): Promise<string | undefined> {
  const have = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'runs'`);
  if (have[0]!.n === 0n) return undefined;
  return (await db.query<{ status: string }>(`SELECT status FROM runs WHERE run_id = $1`, [runId]))[0]?.status;
}

/** What `replay --run` needs to know of a recorded run. */
export interface RecordedRun {
  readonly runId: string;
  readonly pipeline: string;
  readonly mode: string;
  readonly status: string;
  readonly digest?: string;
  /** Time-zone data version the run used (absent for runs recorded before it was kept). */
  readonly tz?: string;
  /** Inputs recorded as processed by this run (run_inputs). */
  readonly inputs: number;
  /**
   * A live run that has not finished stands at its last checkpoint's watermark: open windows and bars wait in its
   * checkpoint. A replay of its inputs ends there, unflushed, to give its outputs so far.
   */
  readonly openAt?: bigint;
}

export async function recordedRun(db: Database, runId: string): Promise<RecordedRun | undefined> {
  const rows = await db.query<{ pipeline: string; mode: string; status: string; digest: string | null; params: string | null }>(
    `SELECT pipeline, mode, status, digest, params FROM runs WHERE run_id = $1`,
    [runId],
  );
  const r = rows[0];
  if (!r) return undefined;
  const have = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'run_inputs'`);
  const n = have[0]!.n > 0n ? (await db.query<{ n: bigint }>(`SELECT count(*) n FROM run_inputs WHERE run_id = $1`, [runId]))[0]!.n : 0n;
  const params = r.params ? (JSON.parse(r.params) as { tz?: string }) : {};
  const cps = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'checkpoints'`);
  const open =
    r.status !== "finished" && cps[0]!.n > 0n
      ? (await db.query<{ watermark: bigint }>(`SELECT watermark FROM checkpoints WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`, [runId]))[0]
      : undefined;
  return {
    runId,
    pipeline: r.pipeline,
    mode: r.mode,
    status: r.status,
    digest: r.digest ?? undefined,
    tz: params.tz,
    inputs: Number(n),
    openAt: open?.watermark,
  };
}

/** A model install of a live run, as recorded: from row `row` of node `node`'s input on, `modelId` served. */
export interface RecordedModelInstall {
  readonly node: string;
  readonly row: number;
  readonly modelId: string;
  readonly version: number;
  readonly sha256: string;
  /** The NATS KV revision of the deployment. */
  readonly revision: number;
}

export async function recordModelInstall(db: Database, runId: string, i: RecordedModelInstall): Promise<void> {
  await db.run(createTableSql(MODEL_INSTALLS_LAYOUT));
  await db.run(`INSERT OR REPLACE INTO model_installs VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    runId,
    i.node,
    BigInt(i.row),
    i.modelId,
    i.version,
    i.sha256,
    BigInt(i.revision),
  ]);
}

/** The installs a run recorded, per node in row order (empty for runs without predict nodes). */
export async function recordedModelInstalls(db: Database, runId: string): Promise<RecordedModelInstall[]> {
  const have = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'model_installs'`);
  if (have[0]!.n === 0n) return [];
  const rows = await db.query<{ node: string; row_index: bigint; model_id: string; version: number; sha256: string; revision: bigint }>(
    `SELECT node, row_index, model_id, version, sha256, revision FROM model_installs WHERE run_id = $1 ORDER BY node, row_index`,
    [runId],
  );
  return rows.map((r) => ({ node: r.node, row: Number(r.row_index), modelId: r.model_id, version: r.version, sha256: r.sha256, revision: Number(r.revision) }));
}
