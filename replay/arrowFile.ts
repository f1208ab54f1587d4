// A query's result as an Arrow IPC file (the random-access `.arrow` format pandas, polars and pyarrow open), written
// record batch by record batch from DuckDB's data chunks, so a run of any size is never held whole in memory.
import { open, rm } from "node:fs/promises";
import {
  AsyncByteQueue,
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  TimestampNanosecond,
  Utf8,
  type Data,
} from "apache-arrow";
import type { ColumnChunk, Database, ResultColumn, TypedColumn } from "../io/duckdb/database.ts";
import type { DuckColumnType } from "../schemas/field.ts";
import type { DuckDBValue } from "@duckdb/node-api";

/** Rows per record batch: large enough for few batches, small enough to bound memory on wide tables. Default. */
export const ARROW_BATCH_ROWS = 65_536;

/** The Arrow type of each recording column type (DuckDB's TIMESTAMP_NS has no zone: tickflow's times are UTC). */
const ARROW_TYPES: Record<DuckColumnType, () => DataType> = {
  DOUBLE: () => new Float64(),
  BIGINT: () => new Int64(),
  INTEGER: () => new Int32(),
  BOOLEAN: () => new Bool(),
  VARCHAR: () => new Utf8(),
  TIMESTAMP_NS: () => new TimestampNanosecond("UTC"),
};

/** Bytes the file writer emits, kept until written to the file (after each batch), instead of an unbounded queue. */
class PendingBytes extends AsyncByteQueue {
  private parts: Uint8Array[] = [];
  // The file writer writes views only (messages, padding, the batches' buffers).
  override write(value: ArrayBufferView): void {
    if (value.byteLength > 0) this.parts.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  take(): Uint8Array[] {
    const parts = this.parts;
    this.parts = [];
    return parts;
  }
}

const bitmap = (bits: ArrayLike<number>, n: number): Uint8Array => {
  const out = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (bits[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
};

/** The parts' values end to end in `out`. */
function joined<A extends ArrayLike<unknown> & { set(part: A, offset: number): void }>(parts: readonly A[], out: A): A {
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The chunks' values of column `c` as one Arrow column of `field`'s type, NULLs kept. */
function arrowColumn(field: Field, c: number, chunks: readonly ColumnChunk[], n: number): Data {
  const parts = chunks.map((k) => k.columns[c]!);
  const valid = parts.some((p) => p.valid)
    ? joined(
        parts.map((p) => p.valid ?? new Uint8Array(p.values.length).fill(1)),
        new Uint8Array(n),
      )
    : undefined;
  const props = { length: n, ...(valid ? { nullBitmap: bitmap(valid, n), nullCount: valid.reduce((k, v) => k + (v ? 0 : 1), 0) } : { nullCount: 0 }) };
  const values = <A extends TypedColumn["values"]>(): A[] => parts.map((p) => p.values as A);
  switch (parts[0]!.type) {
    case "VARCHAR": {
      const encoder = new TextEncoder();
      const encoded = values<readonly string[]>().flatMap((strings) => strings.map((s) => encoder.encode(s)));
      const valueOffsets = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) valueOffsets[i + 1] = valueOffsets[i]! + encoded[i]!.byteLength;
      const data = new Uint8Array(valueOffsets[n]!);
      for (let i = 0; i < n; i++) data.set(encoded[i]!, valueOffsets[i]!);
      return makeData({ type: field.type as Utf8, ...props, valueOffsets, data });
    }
    case "BOOLEAN":
      return makeData({ type: field.type as Bool, ...props, data: bitmap(joined(values<Uint8Array>(), new Uint8Array(n)), n) });
    case "DOUBLE":
      return makeData({ type: field.type as Float64, ...props, data: joined(values<Float64Array>(), new Float64Array(n)) });
    case "INTEGER":
      return makeData({ type: field.type as Int32, ...props, data: joined(values<Int32Array>(), new Int32Array(n)) });
    case "BIGINT":
      return makeData({ type: field.type as Int64, ...props, data: joined(values<BigInt64Array>(), new BigInt64Array(n)) });
    case "TIMESTAMP_NS":
      return makeData({ type: field.type as TimestampNanosecond, ...props, data: joined(values<BigInt64Array>(), new BigInt64Array(n)) });
  }
}

/** The Arrow schema of a result: nullable unless `notNull` names the column. */
function arrowSchema(columns: readonly ResultColumn[], notNull: ReadonlySet<string>): Schema {
  return new Schema(columns.map((c) => new Field(c.name, ARROW_TYPES[c.type](), !notNull.has(c.name))));
}

/**
 * Writes the result of `sql` to a new Arrow IPC file at `path`, in record batches of about `batchRows` rows (whole
 * DuckDB chunks); the columns `notNull` names are declared non-nullable. Refuses an existing file unless `overwrite`;
 * a failed write leaves no file. Returns the rows written.
 */
export async function writeArrowFile(
  db: Database,
  sql: string,
  path: string,
  o: { params?: DuckDBValue[]; notNull?: ReadonlySet<string>; batchRows?: number; overwrite?: boolean } = {},
): Promise<number> {
  const batchRows = o.batchRows ?? ARROW_BATCH_ROWS;
  const file = await open(path, o.overwrite ? "w" : "wx");
  let complete = false;
  try {
    const sink = new PendingBytes();
    const writer = new RecordBatchFileWriter();
    writer.reset(sink);
    const flush = async (): Promise<void> => {
      for (const part of sink.take()) await file.write(part);
    };
    let schema: Schema | undefined;
    let pending: ColumnChunk[] = [];
    let pendingRows = 0;
    let rows = 0;
    const writeBatch = async (): Promise<void> => {
      const fields = schema!.fields;
      const children = fields.map((f, c) => arrowColumn(f, c, pending, pendingRows));
      writer.write(new RecordBatch(schema!, makeData({ type: new Struct(fields), length: pendingRows, nullCount: 0, children })));
      rows += pendingRows;
      pending = [];
      pendingRows = 0;
      await flush();
    };
    const columns = await db.readColumnChunks(sql, o.params, async (chunk) => {
      schema ??= arrowSchema(
        chunk.columns.map((c) => ({ name: c.name, type: c.type })),
        o.notNull ?? new Set(),
      );
      pending.push(chunk);
      pendingRows += chunk.rowCount;
      if (pendingRows >= batchRows) await writeBatch();
    });
    schema ??= arrowSchema(columns, o.notNull ?? new Set());
    if (pendingRows > 0) await writeBatch();
    // An empty result is a file with the schema and no batch.
    if (rows === 0) writer.reset(sink, schema);
    writer.close();
    await flush();
    complete = true;
    return rows;
  } finally {
    await file.close();
    if (!complete) await rm(path, { force: true });
  }
}
