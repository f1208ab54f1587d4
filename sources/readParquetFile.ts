// Reads a Parquet file of one message type through DuckDB's reader (read_parquet), for the file source: the
// columns are the type's recording columns (schemas/ `columns`), so a recording table exported with COPY reads back.
import { Database } from "../io/duckdb/database.ts";
import type { ColumnSpec } from "../schemas/message.ts";
import { MessageValidationError, type AnyMessageType } from "../schemas/message.ts";
import type { Timed } from "../runtime/ports.ts";
import type { RowError } from "./importers/parseMarketFile.ts";
import { SourceReadError } from "./sourceErrors.ts";

/** What a file gave: accepted items in file order with their 1-based row (line) number, and the rows it rejected. */
export interface FileRows {
  readonly items: Timed[];
  readonly lines: number[];
  readonly errors: RowError[];
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The column contract: one column per field of the type, named as in the recording (snake_case: `symbol`,
 * `ts_open`, `ts_event`, ...). Timestamps may be any DuckDB TIMESTAMP type or BIGINT nanoseconds; numbers
 * any numeric type; list fields (news `symbols`) a VARCHAR[] or JSON text. Optional fields may be absent;
 * other columns (a recording's `subject`, `stream_seq`) are ignored.
 */
function columnExpr(c: ColumnSpec, actual: string | undefined): string {
  if (actual === undefined) return "NULL";
  const col = quote(c.name);
  switch (c.type) {
    case "TIMESTAMP_NS":
      if (actual.startsWith("TIMESTAMP")) return `epoch_ns(${col})`;
      if (actual === "DATE") return `epoch_ns(CAST(${col} AS TIMESTAMP))`;
      return `TRY_CAST(${col} AS BIGINT)`;
    case "VARCHAR":
      if (actual === "VARCHAR") return col;
      if (actual.endsWith("]") || actual.startsWith("STRUCT") || actual.startsWith("MAP")) return `to_json(${col})::VARCHAR`;
      return `CAST(${col} AS VARCHAR)`;
    default:
      // TRY_CAST: a value that does not convert becomes NULL, and that row a dead letter, not a failed read.
      return `TRY_CAST(${col} AS ${c.type})`;
  }
}

/** Reads `file` (an absolute path) as messages of `type`; rows failing the type's checks are returned as errors. */
export async function readParquetFile(file: string, type: AnyMessageType): Promise<FileRows> {
  const db = await Database.open(":memory:");
  try {
    const from = `read_parquet('${file.replace(/'/g, "''")}', file_row_number = true)`;
    let described: { column_name: string; column_type: string }[];
    try {
      described = await db.query(`DESCRIBE SELECT * FROM ${from}`);
    } catch (e) {
      throw new SourceReadError(
        `${file}: DuckDB cannot read it as Parquet (${(e as Error).message.split("\n")[0]}): check params.path, and that the file is Parquet (or give format)`,
        { cause: e },
      );
    }
    const have = new Map(described.filter((c) => c.column_name !== "file_row_number").map((c) => [c.column_name, c.column_type]));
    const missing = type.columns.filter((c) => !c.nullable && !have.has(c.name));
    if (missing.length) {
      throw new Error(
        `${file}: a ${type.type} Parquet file needs the columns ${type.columns.map((c) => `${c.name} ${c.type}${c.nullable ? " (optional)" : ""}`).join(", ")}; ` +
          `missing ${missing.map((c) => c.name).join(", ")} (it has ${[...have.keys()].join(", ")}): rename them, or export the recording's ${type.table} table with COPY`,
      );
    }
    const select = type.columns.map((c, i) => `${columnExpr(c, have.get(c.name))} AS c${i}`);
    const raw = `to_json(struct_pack(${[...have.keys()].map(quote).join(", ")}))::VARCHAR AS raw`;
    const rows = await db.query<Record<string, unknown>>(`SELECT ${select.join(", ")}, file_row_number AS rn, ${raw} FROM ${from} ORDER BY file_row_number`);
    const out: FileRows = { items: [], lines: [], errors: [] };
    for (const r of rows) {
      const line = Number(r.rn as bigint) + 1;
      const values = type.columns.map((_c, i) => r[`c${i}`]);
      const absent = type.columns.findIndex((c, i) => !c.nullable && (values[i] === null || values[i] === undefined));
      if (absent >= 0) {
        const c = type.columns[absent]!;
        out.errors.push({ line, reason: `field "${c.field}": column ${c.name} is NULL or not convertible to ${c.type}`, text: String(r.raw) });
        continue;
      }
      try {
        out.items.push(type.create(type.fromRow(values)) as unknown as Timed);
        out.lines.push(line);
      } catch (e) {
        const reason = e instanceof MessageValidationError ? `field "${e.field}" ${e.reason}` : `a column does not decode (${(e as Error).message})`;
        out.errors.push({ line, reason, text: String(r.raw) });
      }
    }
    return out;
  } finally {
    await db.close();
  }
}
