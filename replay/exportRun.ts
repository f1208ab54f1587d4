// `tickflow export RUN_ID`: one recorded run as files pandas, polars or pyarrow load: its `runs` row, the inputs it
// processed (run_inputs) and its rows of every output table, one Parquet or Arrow IPC file per table.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { TickflowError } from "../core/errors.ts";
import type { Database } from "../io/duckdb/database.ts";
import { INPUT_TABLES, MESSAGE_TYPES } from "../schemas/kinds.ts";
import { outputTableName, runInputMatchSql, runInputsHaveTime } from "../sinks/recordingTables.ts";
import { writeArrowFile } from "./arrowFile.ts";
import { UnknownRunError } from "./runFeed.ts";

/** An export would write over files already there, and `force` was not given. */
export class ExportTargetExistsError extends TickflowError {
  static override readonly code = "EXPORT_TARGET_EXISTS";
  override readonly name = "ExportTargetExistsError";
}

export const EXPORT_FORMATS = ["parquet", "arrow"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Every table an export can hold, in the order it writes them: the run's row, the input tables, the output tables. */
export const EXPORT_TABLES: readonly string[] = ["runs", ...INPUT_TABLES, ...new Set(MESSAGE_TYPES.map(outputTableName))];

export interface ExportOptions {
  readonly format: ExportFormat;
  /** The directory the files go to (created). */
  readonly dir: string;
  /** The tables to export, of EXPORT_TABLES. Default: all of them. */
  readonly tables?: readonly string[];
  /** Write over files the export would write that exist. Default false: refused (ExportTargetExistsError). */
  readonly force?: boolean;
}

export interface RunExport {
  readonly runId: string;
  readonly pipeline: string;
  readonly mode: string;
  readonly status: string;
  readonly format: ExportFormat;
  readonly dir: string;
  /** The files written, in EXPORT_TABLES order (or the order `tables` gave). */
  readonly written: readonly { readonly table: string; readonly rows: number; readonly file: string }[];
  /** The tables not written, and why (no rows of the run, or not in the recording). */
  readonly skipped: readonly { readonly table: string; readonly reason: string }[];
}

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The query of a table's rows of the run, in the order the run saw (inputs) or emitted (outputs) them. */
function runRowsSql(table: string, runId: string, timed: boolean): string {
  if (table === "runs") return `SELECT * FROM runs WHERE run_id = ${literal(runId)}`;
  if (INPUT_TABLES.has(table))
    return (
      `SELECT x.* FROM ${ident(table)} x JOIN run_inputs ri ON ri.run_id = ${literal(runId)} AND ri.input_table = ${literal(table)} ` +
      `AND ${runInputMatchSql(table, "x", "ri", timed)} ORDER BY x.ts_event, x.stream_seq`
    );
  return `SELECT * FROM ${ident(table)} WHERE run_id = ${literal(runId)} ORDER BY node, out_seq`;
}

/** Refuses a table name no export holds, naming the ones it can. */
export function checkExportTables(tables: readonly string[]): void {
  const unknown = tables.filter((t) => !EXPORT_TABLES.includes(t));
  if (unknown.length) throw new Error(`no table ${unknown.join(", ")} in a run's export; the tables: ${EXPORT_TABLES.join(", ")}`);
}

async function unknownRun(db: Database, runId: string, hasRuns: boolean): Promise<UnknownRunError> {
  const known = hasRuns ? await db.query<{ run_id: string }>(`SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 10`) : [];
  return new UnknownRunError(
    `no run ${runId} in ${db.path}; ${known.length ? `the latest runs: ${known.map((k) => k.run_id).join(", ")} (tickflow sql "SELECT run_id, pipeline, status FROM runs")` : "it records no runs yet: start one with tickflow run or tickflow replay"}`,
  );
}

/**
 * Exports run `runId` into `o.dir`: one file per table that has rows of the run, named `<table>.parquet` or
 * `<table>.arrow`. Each file is written beside under a temporary name and renamed when complete. Existing files
 * are refused before anything is written, unless `o.force`. Throws UnknownRunError when the recording has no such run.
 */
export async function exportRun(db: Database, runId: string, o: ExportOptions): Promise<RunExport> {
  const tables = [...new Set(o.tables ?? EXPORT_TABLES)];
  checkExportTables(tables);
  const have = new Set((await db.query<{ t: string }>("SELECT table_name t FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => r.t));
  const [run] = have.has("runs")
    ? await db.query<{ pipeline: string; mode: string; status: string }>(`SELECT pipeline, mode, status FROM runs WHERE run_id = $1`, [runId])
    : [];
  if (!run) throw await unknownRun(db, runId, have.has("runs"));
  const listsInputs = have.has("run_inputs") && (await db.query<{ n: bigint }>(`SELECT count(*) n FROM run_inputs WHERE run_id = $1`, [runId]))[0]!.n > 0n;
  const timed = listsInputs && (await runInputsHaveTime(db));

  const dir = resolve(o.dir);
  const planned: { table: string; rows: number; file: string; sql: string }[] = [];
  const skipped: { table: string; reason: string }[] = [];
  for (const table of tables) {
    if (!have.has(table)) {
      skipped.push({ table, reason: "not in the recording" });
      continue;
    }
    if (INPUT_TABLES.has(table) && !listsInputs) {
      skipped.push({ table, reason: "the run lists no inputs (run_inputs): only live runs do, a replay reads the recording's" });
      continue;
    }
    const sql = runRowsSql(table, runId, timed);
    const [count] = await db.query<{ n: bigint }>(`SELECT count(*) n FROM (${sql})`);
    if (count!.n === 0n) skipped.push({ table, reason: `no rows of run ${runId}` });
    else planned.push({ table, rows: Number(count!.n), file: join(dir, `${table}.${o.format}`), sql });
  }
  const existing = planned.filter((p) => existsSync(p.file)).map((p) => p.file);
  if (existing.length && !o.force)
    throw new ExportTargetExistsError(
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; export into another directory (--out DIR) or give --force to write over ${existing.length === 1 ? "it" : "them"}`,
    );
  if (planned.length) mkdirSync(dir, { recursive: true });
  const written: RunExport["written"][number][] = [];
  for (const p of planned) {
    const partial = `${p.file}.partial-${process.pid}`;
    try {
      if (o.format === "parquet") await db.run(`COPY (${p.sql}) TO ${literal(partial)} (FORMAT parquet)`);
      else {
        const notNull = await db.query<{ c: string }>(
          `SELECT column_name c FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $1 AND is_nullable = 'NO'`,
          [p.table],
        );
        await writeArrowFile(db, p.sql, partial, { notNull: new Set(notNull.map((r) => r.c)), overwrite: true });
      }
      renameSync(partial, p.file);
    } catch (e) {
      rmSync(partial, { force: true });
      throw e;
    }
    written.push({ table: p.table, rows: p.rows, file: p.file });
  }
  return { runId, pipeline: run.pipeline, mode: run.mode, status: run.status, format: o.format, dir, written, skipped };
}
