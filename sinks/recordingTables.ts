// DuckDB table layouts of the recording: input tables (feeds, keyed by message id, with subject and
// stream sequence) and output tables (one row per emitted message per run). Columns come from schemas/.
import type { DuckColumnType } from "../schemas/field.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import type { CellValue } from "../io/duckdb/database.ts";
import { INPUT_TABLES } from "../schemas/kinds.ts";

export interface TableColumn {
  readonly name: string;
  readonly type: DuckColumnType;
  readonly nullable: boolean;
}

export interface TableLayout {
  readonly name: string;
  readonly columns: readonly TableColumn[];
  /** Primary key: a row with an existing key is ignored, which makes every sink idempotent. */
  readonly key: readonly string[];
  /**
   * When set, the key is checked without an index: a batch's keys are looked up among the rows whose `range` column
   * (the event time, never NULL) falls in the batch's own time spans, which DuckDB's zone maps find without a scan of
   * the table. A redelivered or re-imported message carries the same key and time, so it is still stored once. A
   * message is its key within its time: the same id at another event time is another message, stored beside it
   * (run_inputs keeps the time, so a run's replay still reads the one it processed). The table has no PRIMARY KEY
   * (an index on a VARCHAR id costs more than the rest of recording, bench/recorder).
   */
  readonly dedupe?: { readonly range: string };
}

export interface InputMeta {
  readonly subject: string;
  readonly streamSeq: bigint;
}

export function inputLayout(type: AnyMessageType): TableLayout {
  const key = type.columns.some((c) => c.name === "id") ? ["id"] : type.table === "bars" ? ["symbol", "timeframe", "ts_open"] : [];
  const time =
    type.columns.find((c) => c.type === "TIMESTAMP_NS" && !c.nullable && key.includes(c.name)) ??
    type.columns.find((c) => c.type === "TIMESTAMP_NS" && !c.nullable);
  return {
    ...(key.length > 0 && time ? { dedupe: { range: time.name } } : {}),
    name: type.table,
    columns: [
      ...type.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      { name: "subject", type: "VARCHAR", nullable: false },
      { name: "stream_seq", type: "BIGINT", nullable: false },
    ],
    key,
  };
}

export function outputTableName(type: AnyMessageType): string {
  return INPUT_TABLES.has(type.table) ? `out_${type.table}` : type.table;
}

/**
 * Columns renamed since a table was first recorded, per table: the column's name now -> its earlier name. A recorder
 * opening a file written before the rename renames the column in place (DuckDB keeps its position and data), so an
 * old recording keeps being appended to and read. Optional fields added at the end of a message type become NULL
 * columns the same way. Anything else that differs is refused (RecordingLayoutError).
 */
export const RENAMED_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // order wire v2: the order's type is `orderType` (v1's `type` collided with the envelope's message kind).
  orders: { order_type: "type" },
};

/** Output tables whose rows are successive states of one id (an order's accepted, filled, ...): keyed by out_seq. */
const STATE_TABLES = new Set(["orders"]);

export function outputLayout(type: AnyMessageType): TableLayout {
  const hasId = type.columns.some((c) => c.name === "id") && !STATE_TABLES.has(type.table);
  return {
    name: outputTableName(type),
    columns: [
      { name: "run_id", type: "VARCHAR", nullable: false },
      // The pipeline node that emitted the row: two nodes of one kind in one run stay apart.
      { name: "node", type: "VARCHAR", nullable: false },
      { name: "out_seq", type: "BIGINT", nullable: false },
      ...type.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ],
    key: hasId ? ["run_id", "node", "id"] : ["run_id", "node", "out_seq"],
  };
}

export const RUNS_LAYOUT: TableLayout = {
  name: "runs",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "pipeline", type: "VARCHAR", nullable: false },
    { name: "mode", type: "VARCHAR", nullable: false },
    { name: "started_at", type: "TIMESTAMP_NS", nullable: false },
    { name: "finished_at", type: "TIMESTAMP_NS", nullable: true },
    { name: "status", type: "VARCHAR", nullable: false },
    { name: "inputs", type: "BIGINT", nullable: true },
    { name: "outputs", type: "BIGINT", nullable: true },
    { name: "dead_letters", type: "BIGINT", nullable: true },
    { name: "late", type: "BIGINT", nullable: true },
    { name: "digest", type: "VARCHAR", nullable: true },
    { name: "params", type: "VARCHAR", nullable: true },
  ],
  key: ["run_id"],
};

/**
 * Which inputs each live run processed, by input table and message id: inputs are shared between runs (recorded
 * once, whoever records them), so this is what lets `tickflow replay --run ID` replay exactly one run's inputs.
 */
export const RUN_INPUTS_LAYOUT: TableLayout = {
  name: "run_inputs",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "input_table", type: "VARCHAR", nullable: false },
    { name: "id", type: "VARCHAR", nullable: false },
    // The input's event time: with the id, which recorded row the run processed (input tables key a message by its
    // id within its time, so one id recorded at two times is two rows). NULL in rows written before it was added.
    { name: "ts_event", type: "TIMESTAMP_NS", nullable: true },
  ],
  key: ["run_id", "input_table", "id"],
};

/** SQL: the run_inputs row `r` is the input-table row `alias` (by id, and by event time where it was recorded). */
export function runInputMatchSql(table: string, alias: string, r: string, hasTime: boolean): string {
  const id = `${r}.id = ${inputIdSql(table, alias)}`;
  return hasTime ? `${id} AND (${r}.ts_event IS NULL OR ${r}.ts_event = ${alias}.ts_event)` : id;
}

/** Whether a recording's run_inputs table has the ts_event column (files written before it have not, until a recorder opens them). */
export async function runInputsHaveTime(db: { query<T>(sql: string): Promise<T[]> }): Promise<boolean> {
  const rows = await db.query<{ n: bigint }>(
    "SELECT count(*) n FROM information_schema.columns WHERE table_name = 'run_inputs' AND table_schema = 'main' AND column_name = 'ts_event'",
  );
  return rows[0]!.n > 0n;
}

/**
 * Which model each predict node of a live run served from which row of its input on: what `replay --run` needs
 * to score every row with the version live scored it with.
 */
export const MODEL_INSTALLS_LAYOUT: TableLayout = {
  name: "model_installs",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "node", type: "VARCHAR", nullable: false },
    { name: "row_index", type: "BIGINT", nullable: false },
    { name: "model_id", type: "VARCHAR", nullable: false },
    { name: "version", type: "INTEGER", nullable: false },
    { name: "sha256", type: "VARCHAR", nullable: false },
    { name: "revision", type: "BIGINT", nullable: false },
  ],
  key: ["run_id", "node", "row_index"],
};

/**
 * A live run's checkpoints: everything it needs to continue exactly after a committed batch (operator state,
 * digests, numbering, source positions), written in the same transaction as that batch's recording. The last few
 * are kept per run.
 */
export const CHECKPOINTS_LAYOUT: TableLayout = {
  name: "checkpoints",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "seq", type: "BIGINT", nullable: false },
    { name: "batches", type: "BIGINT", nullable: false },
    { name: "inputs", type: "BIGINT", nullable: false },
    { name: "watermark", type: "BIGINT", nullable: false },
    { name: "state", type: "VARCHAR", nullable: false },
  ],
  key: ["run_id", "seq"],
};

/**
 * Effects (publishes) a checkpointed run recorded in a batch's transaction and has not yet confirmed sent: after a
 * crash they are sent again, so what is recorded is published. `data` is the message's UTF-8 (JSON) payload.
 */
export const OUTBOX_LAYOUT: TableLayout = {
  name: "outbox",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "seq", type: "BIGINT", nullable: false },
    { name: "outbox", type: "VARCHAR", nullable: false },
    { name: "subject", type: "VARCHAR", nullable: false },
    { name: "msg_id", type: "VARCHAR", nullable: false },
    { name: "headers", type: "VARCHAR", nullable: true },
    { name: "data", type: "VARCHAR", nullable: false },
  ],
  key: ["run_id", "seq"],
};

/** What happened to a run, in order: started, interrupted (found killed), resumed, stopped, failed ... */
export const RUN_EVENTS_LAYOUT: TableLayout = {
  name: "run_events",
  columns: [
    { name: "run_id", type: "VARCHAR", nullable: false },
    { name: "happened_at", type: "TIMESTAMP_NS", nullable: false },
    { name: "event", type: "VARCHAR", nullable: false },
    { name: "detail", type: "VARCHAR", nullable: true },
  ],
  key: [],
};

/** SQL for the message id of a row of an input table (bars are keyed by symbol, timeframe and open time). */
export function inputIdSql(table: string, alias: string): string {
  return table === "bars" ? `(${alias}.symbol || '.' || ${alias}.timeframe || '.' || CAST(epoch_ns(${alias}.ts_open) AS VARCHAR))` : `${alias}.id`;
}

/** A column's definition in CREATE TABLE / ALTER TABLE ADD COLUMN. */
export function columnSql(c: TableColumn): string {
  return `"${c.name}" ${c.type}${c.nullable ? "" : " NOT NULL"}`;
}

export function createTableSql(layout: TableLayout): string {
  const cols = layout.columns.map(columnSql);
  if (layout.key.length && !layout.dedupe) cols.push(`PRIMARY KEY (${layout.key.map((k) => `"${k}"`).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS "${layout.name}" (${cols.join(", ")})`;
}

/** Turns messages (plus per-row extras placed before/after the message columns) into column-major cells. */
export function toColumns<M>(
  type: AnyMessageType,
  messages: readonly M[],
  before: readonly ((i: number) => CellValue)[],
  after: readonly ((i: number) => CellValue)[],
): CellValue[][] {
  const width = before.length + type.columns.length + after.length;
  const cols: CellValue[][] = Array.from({ length: width }, () => new Array<CellValue>(messages.length));
  for (let i = 0; i < messages.length; i++) {
    let c = 0;
    for (const f of before) cols[c++]![i] = f(i);
    const row = type.toRow(messages[i] as never);
    for (const v of row) cols[c++]![i] = v;
    for (const f of after) cols[c++]![i] = f(i);
  }
  return cols;
}
