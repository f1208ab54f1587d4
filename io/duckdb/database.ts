// One DuckDB file, one connection, one operation at a time: every call goes through a serial queue,
// because @duckdb/node-api must never run two operations at once on a connection.
import {
  DuckDBInstance,
  type DuckDBDataChunk,
  type DuckDBTimestampNanosecondsValue,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBValue,
} from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DuckColumnType } from "../../schemas/field.ts";

import { CHUNK_ROWS, forEachChunk, type CellValue } from "./chunkFill.ts";

export { CHUNK_ROWS, type CellValue };

/** A result column: its name and its type, one of the recording's column types. */
export interface ResultColumn {
  readonly name: string;
  readonly type: DuckColumnType;
}

/**
 * One column of a data chunk, typed and column-major: DOUBLE in a Float64Array, BIGINT and TIMESTAMP_NS (nanoseconds
 * since the epoch) in a BigInt64Array, INTEGER in an Int32Array, BOOLEAN as 0/1 in a Uint8Array, VARCHAR as strings.
 * A NULL row holds 0 (or "") and `valid[row] === 0`; `valid` is absent when the chunk has no NULL in the column.
 */
export type TypedColumn = { readonly name: string; readonly valid?: Uint8Array } & (
  | { readonly type: "DOUBLE"; readonly values: Float64Array }
  | { readonly type: "BIGINT" | "TIMESTAMP_NS"; readonly values: BigInt64Array }
  | { readonly type: "INTEGER"; readonly values: Int32Array }
  | { readonly type: "BOOLEAN"; readonly values: Uint8Array }
  | { readonly type: "VARCHAR"; readonly values: readonly string[] }
);

/** Up to CHUNK_ROWS rows of a result, column by column. */
export interface ColumnChunk {
  readonly rowCount: number;
  readonly columns: readonly TypedColumn[];
}

const COLUMN_TYPES = new Map<DuckDBTypeId, DuckColumnType>([
  [DuckDBTypeId.VARCHAR, "VARCHAR"],
  [DuckDBTypeId.DOUBLE, "DOUBLE"],
  [DuckDBTypeId.BIGINT, "BIGINT"],
  [DuckDBTypeId.INTEGER, "INTEGER"],
  [DuckDBTypeId.TIMESTAMP_NS, "TIMESTAMP_NS"],
  [DuckDBTypeId.BOOLEAN, "BOOLEAN"],
]);

/** Reads one vector of a chunk into a typed column. */
function typedColumn(column: ResultColumn, vector: { getItem(row: number): unknown }, n: number): TypedColumn {
  let valid: Uint8Array | undefined;
  // Calls `set` for each non-NULL row; a NULL one is marked in `valid` (made at the first NULL) and keeps 0 or "".
  const each = (set: (row: number, v: unknown) => void): void => {
    for (let r = 0; r < n; r++) {
      const v = vector.getItem(r);
      if (v !== null) set(r, v);
      else (valid ??= new Uint8Array(n).fill(1))[r] = 0;
    }
  };
  const { name, type } = column;
  switch (type) {
    case "DOUBLE": {
      const values = new Float64Array(n);
      each((r, v) => (values[r] = v as number));
      return { name, type, values, valid };
    }
    case "INTEGER": {
      const values = new Int32Array(n);
      each((r, v) => (values[r] = v as number));
      return { name, type, values, valid };
    }
    case "BIGINT": {
      const values = new BigInt64Array(n);
      each((r, v) => (values[r] = v as bigint));
      return { name, type, values, valid };
    }
    case "TIMESTAMP_NS": {
      const values = new BigInt64Array(n);
      each((r, v) => (values[r] = (v as DuckDBTimestampNanosecondsValue).nanos));
      return { name, type, values, valid };
    }
    case "BOOLEAN": {
      const values = new Uint8Array(n);
      each((r, v) => (values[r] = v ? 1 : 0));
      return { name, type, values, valid };
    }
    case "VARCHAR": {
      const values = new Array<string>(n).fill("");
      each((r, v) => (values[r] = v as string));
      return { name, type, values, valid };
    }
  }
}

export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly readers = new Set<DuckDBConnection>();

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating if needed) a DuckDB file; ":memory:" for an in-memory database. */
  static async open(path: string): Promise<Database> {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    return new Database(path, instance, connection);
  }

  /** Runs `fn` with the connection once every earlier operation has finished. */
  exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`DuckDB ${this.path} is closed`));
    const next = this.queue.then(() => fn(this.connection));
    this.queue = next.catch(() => undefined);
    return next;
  }

  run(sql: string, params?: DuckDBValue[]): Promise<void> {
    return this.exclusive(async (c) => {
      await c.run(sql, params);
    });
  }

  /** Runs a query and returns its rows as plain JS objects (BIGINT as bigint, timestamps as Date). */
  query<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T[]> {
    return this.exclusive(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS() as T[]);
  }

  /** Runs a query and returns column names and rows of display strings (for the CLI). */
  queryText(sql: string): Promise<{ columns: string[]; rows: string[][] }> {
    return this.exclusive(async (c) => {
      const r = await c.runAndReadAll(sql);
      const rows = r.getRowsJson().map((row) => row.map((v) => (v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v))));
      return { columns: r.columnNames(), rows };
    });
  }

  /**
   * Runs one query and returns its rows as JSON values with their types kept: numbers (BIGINT and DECIMAL as
   * numbers when exact, else as strings), booleans, null, strings; lists and structs as arrays and objects.
   */
  queryJson(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    return this.exclusive(async (c) => {
      const r = await c.runAndReadAll(sql);
      const types = r.columnTypes().map((t) => t.typeId);
      const exactInt = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);
      const rows = r.getRowsJson().map((row) =>
        row.map((v, i) => {
          if (typeof v !== "string") return v;
          const t = types[i]!;
          if (exactInt.has(t)) {
            const n = Number(v);
            return Number.isSafeInteger(n) ? n : v; // beyond 2^53 a number would round: the exact digits stay a string
          }
          if (t === DuckDBTypeId.DECIMAL) return Number(v);
          return v;
        }),
      );
      return { columns: r.columnNames(), rows };
    });
  }

  /**
   * Appends column-major data to a table through data chunks and the appender (no per-row SQL).
   * `columns[i]` holds the values of column i; types in table column order.
   */
  appendColumns(table: string, types: readonly DuckColumnType[], columns: readonly (readonly CellValue[])[], schema = "main", catalog?: string): Promise<void> {
    return this.exclusive(async (c) => {
      const rowCount = columns[0]?.length ?? 0;
      if (rowCount === 0) return;
      const appender = await c.createAppender(table, schema, catalog);
      try {
        forEachChunk(types, columns, (chunk) => appender.appendDataChunk(chunk));
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    });
  }

  /**
   * Runs a query and hands its result to `onChunk` one data chunk (up to CHUNK_ROWS rows) at a time, column-major
   * and typed (TypedColumn), so that a large result is never held whole; the connection waits while an async
   * `onChunk` runs. Returns the result's columns (an empty result has them too). Refuses a result with a column
   * of a type the recording does not use (a DECIMAL, a LIST ...): cast it in the query.
   */
  readColumnChunks(sql: string, params: DuckDBValue[] | undefined, onChunk: (chunk: ColumnChunk) => void | Promise<void>): Promise<readonly ResultColumn[]> {
    return this.exclusive(async (c) => {
      const result = await c.stream(sql, params);
      const columns = result.columnNames().map((name, i): ResultColumn => {
        const type = COLUMN_TYPES.get(result.columnTypeId(i));
        if (!type)
          throw new Error(
            `column ${name} of the query is ${result.columnType(i).toString()}; typed reads take ${[...COLUMN_TYPES.values()].join(", ")}: cast it`,
          );
        return { name, type };
      });
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const n = chunk.rowCount;
        await onChunk({ rowCount: n, columns: columns.map((col, i) => typedColumn(col, chunk!.getColumnVector(i), n)) });
      }
      return columns;
    });
  }

  /** A pull cursor over a query on a connection of its own; call close() when done. */
  async cursor(sql: string, params?: DuckDBValue[]): Promise<{ next(): Promise<DuckDBDataChunk | null>; close(): void }> {
    if (this.closed) throw new Error(`DuckDB ${this.path} is closed`);
    const reader = await this.instance.connect();
    this.readers.add(reader);
    const result = await reader.stream(sql, params);
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      this.readers.delete(reader);
      reader.closeSync();
    };
    return {
      async next() {
        if (!open) return null;
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) {
          close();
          return null;
        }
        return chunk;
      },
      close,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    for (const r of this.readers) r.closeSync();
    this.readers.clear();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
