// DuckDbRecorder: records inputs and outputs as columnar batches (data chunks + appender) into one table per
// message type, so a redelivered or re-imported message is stored once, whoever records it. Input tables check
// their key within the batch's time spans and append the new rows straight into the table (no index, no staging);
// outputs, and input tables of files recorded before that layout (with a PRIMARY KEY), go through a staging table
// and INSERT OR IGNORE.
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

/** How many time spans a batch's key check looks in at most: a few outliers do not widen the span to everything. */
const MAX_SPANS = 8;

export class DuckDbRecorder {
  private readonly prepared = new Set<string>();
  /** Tables whose key is checked within time spans (created by this layout, without a PRIMARY KEY). */
  private readonly spanChecked = new Set<string>();

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
    if (layout.dedupe && !(await this.hasPrimaryKey(layout.name))) {
      this.spanChecked.add(layout.name);
      this.prepared.add(layout.name);
      return;
    }
    const stageCols = layout.columns.map((c) => `"${c.name}" ${c.type === "TIMESTAMP_NS" ? "BIGINT" : c.type}`);
    await this.db.run(`CREATE OR REPLACE TEMP TABLE "stage_${layout.name}" (${stageCols.join(", ")})`);
    this.prepared.add(layout.name);
  }

  private async hasPrimaryKey(table: string): Promise<boolean> {
    const rows = await this.db.query<{ n: bigint }>(
      `SELECT count(*) n FROM duckdb_constraints() WHERE table_name = '${table}' AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'`,
    );
    return rows[0]!.n > 0n;
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

  /** Records which inputs (table, message id, event time) a run processed. */
  writeRunInputs(runId: string, table: string, ids: readonly string[], times: readonly bigint[]): Promise<WriteResult> {
    return this.write(RUN_INPUTS_LAYOUT, [ids.map(() => runId), ids.map(() => table), [...ids], [...times]]);
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
    if (this.spanChecked.has(layout.name)) return this.appendNew(layout, columns);
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

  /**
   * Appends the rows whose key is neither earlier in the batch nor already in the table. The lookup reads only the
   * rows inside the batch's time spans (zone maps skip the rest), so live batches, which follow one another in
   * time, look at next to nothing; a re-import of a recorded day reads back that day's keys.
   */
  private async appendNew(layout: TableLayout, columns: CellValue[][]): Promise<WriteResult> {
    const offered = columns[0]!.length;
    const names = layout.columns.map((c) => c.name);
    const range = layout.dedupe!.range;
    const keyCols = dedupeKey(layout).map((k) => columns[names.indexOf(k)]!);
    const times = columns[names.indexOf(range)]! as bigint[];
    const [k0, k1] = keyCols;
    const keyOf =
      keyCols.length === 1
        ? (i: number) => String(k0![i])
        : keyCols.length === 2
          ? (i: number) => `${k0![i]}\u0000${k1![i]}`
          : (i: number) => keyCols.map((c) => String(c[i])).join("\u0000");
    const existing = await this.keysWithin(layout, spansOf(times));
    const seen = new Set<string>();
    const keep: number[] = [];
    for (let i = 0; i < offered; i++) {
      const k = keyOf(i);
      if (seen.has(k) || existing.has(k)) continue;
      seen.add(k);
      keep.push(i);
    }
    if (keep.length === 0) return { offered, inserted: 0 };
    const rows = keep.length === offered ? columns : columns.map((col) => keep.map((i) => col[i]!));
    await this.db.appendColumns(
      layout.name,
      layout.columns.map((c) => c.type),
      rows,
    );
    return { offered, inserted: keep.length };
  }

  /** The keys (as keyOf spells them) of the table's rows whose time falls in one of `spans`. */
  private async keysWithin(layout: TableLayout, spans: readonly (readonly [bigint, bigint])[]): Promise<Set<string>> {
    const range = layout.dedupe!.range;
    const cols = dedupeKey(layout).map((k) => (layout.columns.find((c) => c.name === k)!.type === "TIMESTAMP_NS" ? `epoch_ns("${k}")` : `"${k}"`));
    const sql = spans
      .map(([lo, hi]) => `SELECT ${cols.join(", ")} FROM "${layout.name}" WHERE "${range}" BETWEEN make_timestamp_ns(${lo}) AND make_timestamp_ns(${hi})`)
      .join(" UNION ALL ");
    const rows = await this.db.exclusive(async (c) => (await c.runAndReadAll(sql)).getRows());
    const keys = new Set<string>();
    for (const r of rows) keys.add(r.length === 1 ? String(r[0]) : r.map((v) => String(v)).join("\u0000"));
    return keys;
  }
}

/** A message is its key within its time (TableLayout.dedupe): the time joins the key unless it is part of it. */
function dedupeKey(layout: TableLayout): readonly string[] {
  const range = layout.dedupe!.range;
  return layout.key.includes(range) ? layout.key : [...layout.key, range];
}

/**
 * Up to MAX_SPANS closed intervals covering every time in `times`: split at the widest gaps, so a batch with a
 * stray old message looks at two narrow spans instead of one that covers the whole recording in between.
 */
export function spansOf(times: readonly bigint[]): [bigint, bigint][] {
  const sorted = BigInt64Array.from(times).sort();
  if (sorted.length === 0) return [];
  // The MAX_SPANS - 1 widest gaps, kept in one pass (a batch holds up to ~100k times); a gap narrower than a
  // sixteenth of the whole span saves too little reading to be worth a cut.
  const least = (sorted[sorted.length - 1]! - sorted[0]!) / 16n;
  const widest: { at: number; width: bigint }[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const width = sorted[i]! - sorted[i - 1]!;
    if (width === 0n || width <= least || (widest.length === MAX_SPANS - 1 && width <= widest[widest.length - 1]!.width)) continue;
    let j = widest.length === MAX_SPANS - 1 ? widest.length - 1 : widest.length;
    while (j > 0 && widest[j - 1]!.width < width) {
      widest[j] = widest[j - 1]!;
      j--;
    }
    widest[j] = { at: i, width };
  }
  const cuts = widest.map((g) => g.at).sort((a, b) => a - b);
  const spans: [bigint, bigint][] = [];
  let start = 0;
  for (const cut of [...cuts, sorted.length]) {
    spans.push([sorted[start]!, sorted[cut - 1]!]);
    start = cut;
  }
  return spans;
}
