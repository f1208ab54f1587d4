// Recording inputs at DuckDB's pace: the recorder (dedupe by message id kept) beside the data-chunk appender as
// @duckdb/node-api users write it (vector setItem per cell) into a keyless table of the same columns, and beside
// DuckDB copying the same rows from a temporary table (its own ceiling on this machine), in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBDataChunk, DuckDBTimestampNanosecondsValue, BIGINT, DOUBLE, VARCHAR, TIMESTAMP_NS, type DuckDBConnection } from "@duckdb/node-api";
import type { BenchRow } from "./types.ts";
import { Database, type CellValue } from "../io/duckdb/database.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { inputLayout, toColumns } from "../sinks/recordingTables.ts";
import { simulate, DEFAULT_SIM_START_NS } from "../sources/simulator.ts";
import { simulatedBatch } from "../sources/simulatedFeed.ts";
import type { InputOrigin } from "../runtime/ports.ts";
import { TradeMessage, type Trade } from "../schemas/index.ts";

const ROWS = Number(process.env.TICKFLOW_BENCH_RECORD_ROWS ?? 1_000_000);
const BATCH = 100_000;
const SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOGL", "JPM", "XOM", "KO"];

function trades(): { trades: Trade[]; meta: InputOrigin[] } {
  // News only every 1e12 s: (nearly) every message is a trade.
  const b = simulatedBatch(simulate({ symbols: SYMBOLS, seed: 3, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 50, newsEverySeconds: 1e12 }), ROWS);
  return { trades: b.trades, meta: b.tradeOrigins };
}

const STOCK_TYPES = { VARCHAR, DOUBLE, BIGINT, TIMESTAMP_NS } as const;

/** The appender as the @duckdb/node-api docs show it: one data chunk per 2048 rows, `setItem` for every cell. */
async function stockAppend(c: DuckDBConnection, table: string, types: readonly string[], columns: readonly (readonly CellValue[])[]): Promise<void> {
  const rowCount = columns[0]!.length;
  const appender = await c.createAppender(table);
  const duckTypes = types.map((t) => STOCK_TYPES[t as keyof typeof STOCK_TYPES]);
  for (let off = 0; off < rowCount; off += 2048) {
    const n = Math.min(2048, rowCount - off);
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
  appender.closeSync();
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-rec-"));
  const { trades: all, meta } = trades();
  const layout = inputLayout(TradeMessage);
  const types = layout.columns.map((c) => c.type);
  const batches: { t: Trade[]; m: typeof meta }[] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push({ t: all.slice(i, i + BATCH), m: meta.slice(i, i + BATCH) });
  try {
    // Baselines: the stock appender into a table without a key (no dedupe), the same columns and rows; then DuckDB
    // copying those rows from a temporary table into another keyless table (no JS at all).
    const raw = await Database.open(join(dir, "raw.duckdb"));
    const ddl = layout.columns.map((c) => `"${c.name}" ${c.type}`).join(", ");
    await raw.run(`CREATE TABLE trades (${ddl})`);
    await raw.run(`CREATE TABLE copied (${ddl})`);
    const rawSecs = await timed(() =>
      raw.exclusive(async (c) => {
        for (const b of batches) await stockAppend(c, "trades", types, toColumns(TradeMessage, b.t, [], [(i) => b.m[i]!.subject, (i) => b.m[i]!.streamSeq]));
      }),
    );
    const copySecs = await timed(() => raw.run("INSERT INTO copied SELECT * FROM trades"));
    await raw.close();

    const db = await Database.open(join(dir, "rec.duckdb"));
    const rec = new DuckDbRecorder(db);
    await rec.ensureRecording([TradeMessage]);
    const recSecs = await timed(async () => {
      for (const b of batches) await rec.writeInputs(TradeMessage, b.t, b.m);
    });
    // The same rows again (a redelivery, a re-import): every one is refused by its id.
    let again = 0;
    const dupSecs = await timed(async () => {
      for (const b of batches) again += (await rec.writeInputs(TradeMessage, b.t, b.m)).inserted;
    });
    const [{ n }] = await db.query<{ n: bigint }>("SELECT count(*) n FROM trades");
    await db.close();
    if (Number(n) !== all.length || again !== 0) throw new Error(`recorder bench: ${n} rows stored of ${all.length}, ${again} duplicates inserted`);
    const appender = {
      name: "@duckdb/node-api data-chunk appender (setItem per cell) into a keyless table, same rows, no dedupe",
      value: all.length / rawSecs,
    };
    const copy = { name: "DuckDB itself: INSERT … SELECT of the same rows between two keyless tables", value: all.length / copySecs };
    return [
      {
        group: "recorder",
        name: "record new inputs, deduped by id",
        value: all.length / recSecs,
        unit: "rows/s",
        baseline: appender,
        note: `${all.length} trades, ${BATCH} per batch`,
      },
      { group: "recorder", name: "record new inputs, deduped by id (beside DuckDB's own copy)", value: all.length / recSecs, unit: "rows/s", baseline: copy },
      { group: "recorder", name: "record the same inputs again (all refused)", value: all.length / dupSecs, unit: "rows/s", baseline: appender },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
