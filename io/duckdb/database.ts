// One DuckDB file, one connection, one operation at a time: every call goes through a serial queue,
// because @duckdb/node-api must never run two operations at once on a connection.
import {
  DuckDBInstance,
  DuckDBDataChunk,
  DuckDBTimestampNanosecondsValue,
  DuckDBTypeId,
  BIGINT,
  BOOLEAN,
  DOUBLE,
  INTEGER,
  TIMESTAMP_NS,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DuckColumnType } from "../../schemas/field.ts";

const TYPES: Record<DuckColumnType, DuckDBType> = { VARCHAR, DOUBLE, BIGINT, INTEGER, TIMESTAMP_NS, BOOLEAN };
/** Rows per data chunk: DuckDB's vector size. */
export const CHUNK_ROWS = 2048;

export type CellValue = string | number | bigint | boolean | null;

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
        const duckTypes = types.map((t) => TYPES[t]);
        for (let off = 0; off < rowCount; off += CHUNK_ROWS) {
          const n = Math.min(CHUNK_ROWS, rowCount - off);
          const chunk = DuckDBDataChunk.create(duckTypes, n);
          for (let col = 0; col < types.length; col++) {
            const vec = chunk.getColumnVector(col) as unknown as { setItem(i: number, v: unknown): void; flush(): void };
            const values = columns[col]!;
            const isTs = types[col] === "TIMESTAMP_NS";
            for (let r = 0; r < n; r++) {
              const v = values[off + r];
              vec.setItem(r, v === null || v === undefined ? null : isTs ? new DuckDBTimestampNanosecondsValue(v as bigint) : v);
            }
            vec.flush();
          }
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
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
