// DuckDbRecorder: records inputs and outputs as columnar batches (data chunks + appender) into one table per
// message type. Writes go to a staging table and then INSERT OR IGNORE, so a redelivered or re-imported
// message is stored once, whoever records it.
import type { Database, CellValue } from "../io/duckdb/database.ts";
import type { AnyField } from "../schemas/field.ts";
import type { AnyMessageType, MessageOf, MessageType } from "../schemas/message.ts";
import {
  columnSql,
  createTableSql,
  inputLayout,
  outputLayout,
  RENAMED_COLUMNS,
  RUN_INPUTS_LAYOUT,
  RUNS_LAYOUT,
  toColumns,
  type InputMeta,
  type TableLayout,
} from "./recordingTables.ts";
import { DeadLetterMessage } from "../schemas/deadLetter.ts";
import { TickflowError } from "../core/errors.ts";

/** A recording's table has other columns than this version records, and no known migration turns one into the other. */
export class RecordingLayoutError extends TickflowError {
  static override readonly code = "RECORDING_LAYOUT_MISMATCH";
  static override readonly refusal = true;
  override readonly name = "RecordingLayoutError";
}

export interface WriteResult {
  /** Rows offered. */
  readonly offered: number;
  /** Rows actually new (not already recorded). */
  readonly inserted: number;
}

export class DuckDbRecorder {
  private readonly prepared = new Set<string>();

  constructor(readonly db: Database) {}

  /**
   * Creates the table and its staging twin once per sink. The staging table holds timestamps as BIGINT
   * nanoseconds (appending plain bigints is much cheaper than building a timestamp value per cell); the
   * INSERT converts them with make_timestamp_ns.
   */
  async ensure(layout: TableLayout): Promise<void> {
    if (this.prepared.has(layout.name)) return;
    await this.db.run(createTableSql(layout));
    let have = await this.columnsOf(layout.name);
    const want = layout.columns.map((c) => c.name);
    const renames = Object.entries(RENAMED_COLUMNS[layout.name] ?? {}).filter(([now, before]) => !have.includes(now) && have.includes(before));
    if (renames.length > 0) {
      for (const [now, before] of renames) await this.db.run(`ALTER TABLE "${layout.name}" RENAME COLUMN "${before}" TO "${now}"`);
      have = await this.columnsOf(layout.name);
    }
    // Optional fields added at the end of a message type since the file was written: added as NULL columns.
    const added = layout.columns.slice(have.length);
    if (have.length < want.length && have.join() === want.slice(0, have.length).join() && added.every((c) => c.nullable)) {
      for (const c of added) await this.db.run(`ALTER TABLE "${layout.name}" ADD COLUMN ${columnSql(c)}`);
      have = await this.columnsOf(layout.name);
    }
    if (have.join(", ") !== want.join(", ")) {
      throw new RecordingLayoutError(
        `${this.db.path}: table ${layout.name} has columns (${have.join(", ")}) but this version records (${want.join(", ")}); ` +
          `it was written by another tickflow version: record into a new file (TICKFLOW_DB) or rename the table`,
      );
    }
    const stageCols = layout.columns.map((c) => `"${c.name}" ${c.type === "TIMESTAMP_NS" ? "BIGINT" : c.type}`);
    await this.db.run(`CREATE OR REPLACE TEMP TABLE "stage_${layout.name}" (${stageCols.join(", ")})`);
    this.prepared.add(layout.name);
  }

  private async columnsOf(table: string): Promise<string[]> {
    const rows = await this.db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' AND table_schema = 'main' ORDER BY ordinal_position`,
    );
    return rows.map((r) => r.column_name);
  }

  async ensureRecording(types: readonly AnyMessageType[]): Promise<void> {
    await this.ensure(RUNS_LAYOUT);
    await this.ensure(RUN_INPUTS_LAYOUT);
    await this.ensure(outputLayout(DeadLetterMessage));
    for (const t of types) await this.ensure(inputLayout(t));
  }

  /** Records feed messages with the subject and stream sequence they came with. */
  writeInputs<F extends Record<string, AnyField>>(type: MessageType<F>, messages: readonly MessageOf<F>[], meta: readonly InputMeta[]): Promise<WriteResult> {
    const layout = inputLayout(type);
    const cols = toColumns(type, messages, [], [(i) => meta[i]!.subject, (i) => meta[i]!.streamSeq]);
    return this.write(layout, cols);
  }

  /** Records which inputs (table, message id) a run processed. */
  writeRunInputs(runId: string, table: string, ids: readonly string[]): Promise<WriteResult> {
    return this.write(RUN_INPUTS_LAYOUT, [ids.map(() => runId), ids.map(() => table), [...ids]]);
  }

  /** Records messages a run's `node` emitted; `firstSeq` numbers them in emission order within that node. */
  writeOutputs<F extends Record<string, AnyField>>(
    type: MessageType<F>,
    runId: string,
    messages: readonly MessageOf<F>[],
    firstSeq: bigint,
    node: string = type.table,
  ): Promise<WriteResult> {
    const layout = outputLayout(type);
    const cols = toColumns(type, messages, [() => runId, () => node, (i) => firstSeq + BigInt(i)], []);
    return this.write(layout, cols);
  }

  async write(layout: TableLayout, columns: CellValue[][]): Promise<WriteResult> {
    const offered = columns[0]?.length ?? 0;
    if (offered === 0) return { offered, inserted: 0 };
    await this.ensure(layout);
    const stage = `stage_${layout.name}`;
    await this.db.appendColumns(
      stage,
      layout.columns.map((c) => (c.type === "TIMESTAMP_NS" ? "BIGINT" : c.type)),
      columns,
      "main",
      "temp",
    );
    const select = layout.columns.map((c) => (c.type === "TIMESTAMP_NS" ? `make_timestamp_ns("${c.name}")` : `"${c.name}"`)).join(", ");
    const rows = await this.db.exclusive(async (c) => {
      try {
        const r = await c.run(`INSERT OR IGNORE INTO "${layout.name}" SELECT ${select} FROM temp."${stage}"`);
        return r.rowsChanged;
      } finally {
        // Always empty the staging table: rows left by a failed insert would fail every later write.
        await c.run(`DELETE FROM temp."${stage}"`);
      }
    });
    return { offered, inserted: rows };
  }
}
