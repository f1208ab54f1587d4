// `tickflow export RUN_ID` on a real recording (real nats-server, real DuckDB) holding two live runs and a replay:
// the Parquet and Arrow files hold exactly the run's rows of the recording (its inputs only, not the other run's),
// with its columns, types and values; an unknown run is RUN_NOT_FOUND; files are never written over without --force.
// The process test runs dist/ (`npm run build` first).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RecordBatchReader, TimeUnit, tableFromIPC, Type, type Table } from "apache-arrow";
import { CommanderError } from "commander";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { register } from "../../cli/commands/export.ts";
import { newProgram } from "../../cli/main.ts";
import { isTickflowError } from "../../core/errors.ts";
import { Database } from "../../io/duckdb/database.ts";
import { writeArrowFile } from "../../replay/arrowFile.ts";
import { EXPORT_TABLES, exportRun, ExportTargetExistsError } from "../../replay/exportRun.ts";
import { replay } from "../../replay/replay.ts";
import { UnknownRunError } from "../../replay/runFeed.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");
const PIPELINE = join(ROOT, "pipelines", "momentum-sentiment.yaml");
const COUNT = 2_000;
const DAY = 86_400_000_000_000n;

describe("tickflow export (real nats-server, real DuckDB)", () => {
  let nats: NatsFixture;
  let tmp: { dir: string; cleanup: () => void };
  let rec: string;
  /** Opens the recording for one step: the process test needs it closed (one process per DuckDB file). */
  const withRecording = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await Database.open(rec);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    rec = join(tmp.dir, "rec.duckdb");
    await withRecording(async (db) => {
      const pipeline = await loadPipeline(PIPELINE);
      // Run a reads AAPL; run b, a day later, only MSFT: the recording's input tables hold both.
      await publishSimulatedFeed(nats.nc, { symbols: ["AAPL"], seed: 1, startNs: DEFAULT_SIM_START_NS, count: COUNT });
      const a = new LiveRun({ pipeline, nc: nats.nc, db, runId: "a", consumerPrefix: "a", print: () => undefined });
      await a.start();
      await a.waitFor(() => a.run.counters.inputs >= COUNT);
      await a.stop();
      const b = new LiveRun({ pipeline, nc: nats.nc, db, runId: "b", consumerPrefix: "b", deliver: "new", print: () => undefined });
      await b.start();
      await publishSimulatedFeed(nats.nc, { symbols: ["MSFT"], seed: 2, startNs: DEFAULT_SIM_START_NS + DAY, count: COUNT });
      await b.waitFor(() => b.run.counters.inputs >= COUNT);
      await b.stop();
      await replay({ pipeline, db, runId: "replay-a", range: { runId: "a" } });
    });
  }, 120_000);

  afterAll(async () => {
    await stopNats(nats);
    tmp?.cleanup();
  });

  /** Every column of the recording's rows of run a in `table`, timestamps as epoch nanoseconds, in export order. */
  const recorded = (db: Database, table: string, where: string, order: string) =>
    db.query<Record<string, unknown>>(`SELECT * REPLACE (epoch_ns(ts_event) AS ts_event) FROM "${table}" ${where} ORDER BY ${order}`);
  const tradesOfA = (db: Database) =>
    recorded(db, "trades", "WHERE id IN (SELECT id FROM run_inputs WHERE run_id = 'a' AND input_table = 'trades')", "ts_event, stream_seq");
  const featuresOfA = (db: Database) => recorded(db, "features", "WHERE run_id = 'a'", "node, out_seq");

  it("parquet: the run's row, only its inputs, its outputs, row for row; a table without its rows is skipped and said so", async () => {
    const out = join(tmp.dir, "parquet-a");
    await withRecording(async (db) => {
      const x = await exportRun(db, "a", { format: "parquet", dir: out });
      expect(x).toMatchObject({ runId: "a", pipeline: "momentum-sentiment", mode: "live", format: "parquet" });
      const byTable = new Map(x.written.map((w) => [w.table, w]));
      expect([...byTable.keys()]).toEqual(expect.arrayContaining(["runs", "trades", "news", "features"]));
      expect([...byTable.keys(), ...x.skipped.map((s) => s.table)].sort()).toEqual([...EXPORT_TABLES].sort());
      expect(x.skipped).toContainEqual({ table: "dead_letters", reason: "no rows of run a" });
      expect(x.skipped).toContainEqual({ table: "bars", reason: "not in the recording" }); // the pipeline builds its bars
      expect(readdirSync(out).sort()).toEqual(x.written.map((w) => `${w.table}.parquet`).sort());

      const trades = await tradesOfA(db);
      const [ranTrades] = await db.query<{ n: bigint }>("SELECT count(*) n FROM run_inputs WHERE run_id = 'a' AND input_table = 'trades'");
      expect(trades.length).toBe(Number(ranTrades!.n));
      expect(byTable.get("trades")!.rows).toBe(trades.length);
      const file = (t: string) => `'${byTable.get(t)!.file}'`;
      // Only run a's inputs: the MSFT trades run b read are in the recording, not in the export.
      expect(await db.query(`SELECT DISTINCT symbol FROM read_parquet(${file("trades")})`)).toEqual([{ symbol: "AAPL" }]);
      expect(await db.query(`SELECT * REPLACE (epoch_ns(ts_event) AS ts_event) FROM read_parquet(${file("trades")})`)).toEqual(trades);
      expect(await db.query(`SELECT * REPLACE (epoch_ns(ts_event) AS ts_event) FROM read_parquet(${file("features")})`)).toEqual(await featuresOfA(db));
      const types = await db.query<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${file("trades")})`);
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
        id: "VARCHAR",
        symbol: "VARCHAR",
        price: "DOUBLE",
        ts_event: "TIMESTAMP_NS",
        stream_seq: "BIGINT",
      });
      const [run] = await db.query<{ run_id: string; status: string; inputs: bigint; started_at: unknown }>(`SELECT * FROM read_parquet(${file("runs")})`);
      expect(run).toEqual((await db.query("SELECT * FROM runs WHERE run_id = 'a'"))[0]);
      expect(run!.inputs).toBe(BigInt(COUNT));
    });
  });

  it("arrow: an Arrow IPC file per table with the recording's columns, Arrow types, nullability and exact values", async () => {
    const out = join(tmp.dir, "arrow-a");
    await withRecording(async (db) => {
      const x = await exportRun(db, "a", { format: "arrow", dir: out, tables: ["trades", "features", "runs", "dead_letters"] });
      expect(x.written.map((w) => w.table)).toEqual(["trades", "features", "runs"]);
      expect(x.skipped).toEqual([{ table: "dead_letters", reason: "no rows of run a" }]);
      const read = (t: string): Table => tableFromIPC(readFileSync(join(out, `${t}.arrow`)));

      const trades = read("trades");
      const want = await tradesOfA(db);
      const columns = await db.query<{ column_name: string; is_nullable: string }>(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'trades' ORDER BY ordinal_position",
      );
      expect(trades.numRows).toBe(want.length);
      expect(trades.schema.fields.map((f) => f.name)).toEqual(columns.map((c) => c.column_name));
      expect(trades.schema.fields.map((f) => f.nullable)).toEqual(columns.map((c) => c.is_nullable === "YES"));
      const field = (t: Table, name: string) => t.schema.fields.find((f) => f.name === name)!.type;
      expect(field(trades, "ts_event")).toMatchObject({ typeId: Type.Timestamp, unit: TimeUnit.NANOSECOND, timezone: "UTC" });
      expect(field(trades, "stream_seq")).toMatchObject({ typeId: Type.Int, bitWidth: 64, isSigned: true });
      expect(field(trades, "price")).toMatchObject({ typeId: Type.Float });
      expect(field(trades, "symbol").typeId).toBe(Type.Utf8);
      // Exact values: timestamps as int64 nanoseconds (not rounded through milliseconds), every row in order.
      const tsEvent = trades.getChild("ts_event")!.data.flatMap((d) => [...(d.values as BigInt64Array)]);
      expect(tsEvent).toEqual(want.map((r) => r.ts_event));
      expect(trades.getChild("stream_seq")!.toArray()).toEqual(BigInt64Array.from(want.map((r) => r.stream_seq as bigint)));
      expect([...trades.getChild("id")!]).toEqual(want.map((r) => r.id));
      expect([...trades.getChild("price")!]).toEqual(want.map((r) => r.price));

      const features = read("features");
      const wantFeatures = await featuresOfA(db);
      expect(features.numRows).toBe(wantFeatures.length);
      expect([...features.getChild("out_seq")!]).toEqual(wantFeatures.map((r) => r.out_seq));
      expect([...features.getChild("values")!]).toEqual(wantFeatures.map((r) => r.values));
      expect([...features.getChild("model")!]).toEqual(wantFeatures.map((r) => r.model)); // NULL (no predict node): null
      expect(features.schema.fields.find((f) => f.name === "model")!.nullable).toBe(true);

      const runs = read("runs");
      const [run] = await db.query<{ inputs: bigint; started_at: bigint }>("SELECT inputs, epoch_ns(started_at) started_at FROM runs WHERE run_id = 'a'");
      expect(runs.numRows).toBe(1);
      expect(runs.getChild("inputs")!.get(0)).toBe(run!.inputs);
      expect((runs.getChild("started_at")!.data[0]!.values as BigInt64Array)[0]).toBe(run!.started_at);
      expect(runs.getChild("digest")!.get(0)).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it("arrow: record batches of a bounded size, every recording type, NULLs kept", async () => {
    const file = join(tmp.dir, "types.arrow");
    const sql = `SELECT i::BIGINT AS big, i::INTEGER AS int, i / 4 AS dbl, i % 2 = 0 AS bool, 'v' || i AS str, make_timestamp_ns(1700000000000000000 + i) AS ts
                 FROM (SELECT CASE WHEN i % 7 = 3 THEN NULL ELSE i END AS i FROM range(2500) t(i)) ORDER BY i NULLS FIRST`;
    await withRecording(async (db) => {
      expect(await writeArrowFile(db, sql, file, { batchRows: 1000, notNull: new Set() })).toBe(2500);
      const t = tableFromIPC(readFileSync(file));
      expect(t.batches.length).toBeGreaterThan(1); // DuckDB's chunks gathered into batches of about 1000 rows
      expect(t.batches.every((b) => b.numRows <= 2048)).toBe(true);
      // The file format's footer indexes every batch (random access, as pyarrow.ipc.open_file reads it).
      const reader = RecordBatchReader.from(readFileSync(file)).open();
      if (!reader.isFile()) throw new Error(`${file} is not in the Arrow IPC file format`);
      expect(reader.numRecordBatches).toBe(t.batches.length);
      expect(reader.readRecordBatch(t.batches.length - 1)!.numRows).toBe(t.batches.at(-1)!.numRows);
      expect(t.schema.fields.map((f) => [f.name, Type[f.type.typeId], f.nullable])).toEqual([
        ["big", "Int", true],
        ["int", "Int", true],
        ["dbl", "Float", true],
        ["bool", "Bool", true],
        ["str", "Utf8", true],
        ["ts", "Timestamp", true],
      ]);
      const rows = await db.query<Record<string, unknown>>(`SELECT * REPLACE (epoch_ns(ts) AS ts) FROM (${sql})`);
      const nulls = rows.filter((r) => r.big === null).length;
      expect(nulls).toBeGreaterThan(300);
      for (const name of ["big", "int", "dbl", "bool", "str"]) {
        expect(t.getChild(name)!.nullCount, name).toBe(nulls);
        expect([...t.getChild(name)!], name).toEqual(rows.map((r) => r[name]));
      }
      const ts = t.getChild("ts")!;
      expect(ts.data.flatMap((d) => [...(d.values as BigInt64Array)].map((v, i) => (d.getValid(i) ? v : null)))).toEqual(rows.map((r) => r.ts));
    });
  });

  it("arrow: an empty result is a file with the schema and no batch", async () => {
    const file = join(tmp.dir, "empty.arrow");
    await withRecording(async (db) => {
      expect(await writeArrowFile(db, "SELECT 1::BIGINT AS n, 'x' AS s WHERE false", file, { notNull: new Set(["n"]) })).toBe(0);
    });
    const t = tableFromIPC(readFileSync(file));
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => [f.name, f.nullable])).toEqual([
      ["n", false],
      ["s", true],
    ]);
  });

  it("a replay's export: its outputs; inputs skipped (a replay lists none)", async () => {
    await withRecording(async (db) => {
      const x = await exportRun(db, "replay-a", { format: "parquet", dir: join(tmp.dir, "replay-a") });
      expect(x.written.map((w) => w.table)).toEqual(expect.arrayContaining(["runs", "features"]));
      for (const t of ["trades", "news"])
        expect(x.skipped).toContainEqual({ table: t, reason: "the run lists no inputs (run_inputs): only live runs do, a replay reads the recording's" });
      const [n] = await db.query<{ n: bigint }>("SELECT count(*) n FROM features WHERE run_id = 'replay-a'");
      expect(x.written.find((w) => w.table === "features")!.rows).toBe(Number(n!.n));
    });
  });

  it("an unknown run is RUN_NOT_FOUND, naming the runs the recording has; nothing is written", async () => {
    const out = join(tmp.dir, "nope");
    await withRecording(async (db) => {
      const e = await exportRun(db, "nope", { format: "arrow", dir: out }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnknownRunError);
      expect(isTickflowError(e, "RUN_NOT_FOUND")).toBe(true);
      expect((e as Error).message).toMatch(/^no run nope in .*rec\.duckdb; the latest runs: .*\ba\b/);
    });
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to write over an earlier export's files, unless force", async () => {
    const out = join(tmp.dir, "twice");
    await withRecording(async (db) => {
      await exportRun(db, "a", { format: "arrow", dir: out, tables: ["runs", "trades"] });
      const before = statSync(join(out, "trades.arrow")).mtimeMs;
      const e = await exportRun(db, "a", { format: "arrow", dir: out, tables: ["news", "trades"] }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ExportTargetExistsError);
      expect((e as Error).message).toBe(
        `${join(out, "trades.arrow")} already exists; export into another directory (--out DIR) or give --force to write over it`,
      );
      expect(existsSync(join(out, "news.arrow"))).toBe(false); // refused before anything was written
      expect(statSync(join(out, "trades.arrow")).mtimeMs).toBe(before);
      // Parquet files of the same tables are other files.
      await exportRun(db, "a", { format: "parquet", dir: out, tables: ["trades"] });
      const again = await exportRun(db, "a", { format: "arrow", dir: out, tables: ["news", "trades"], force: true });
      expect(again.written.map((w) => w.table)).toEqual(["news", "trades"]);
      expect(readdirSync(out).sort()).toEqual(["news.arrow", "runs.arrow", "trades.arrow", "trades.parquet"]);
      expect(tableFromIPC(readFileSync(join(out, "trades.arrow"))).numRows).toBe(again.written[1]!.rows);
    });
  });

  it("refuses an unknown --format or --tables entry while parsing, with the valid choices", async () => {
    const parse = async (args: string[]): Promise<string> => {
      const program = newProgram();
      let err = "";
      program.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
      register(program);
      const e = await program.parseAsync(["node", "tickflow", "export", ...args]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CommanderError);
      return err;
    };
    expect(await parse(["a", "--format", "csv"])).toMatch(/argument 'csv' is invalid\. Allowed choices are parquet, arrow\./);
    expect(await parse(["a", "--format", "arrow", "--tables", "trades,nope"])).toMatch(
      /argument 'trades,nope' is invalid\. no table nope in a run's export; the tables: runs, trades, bars, news, out_trades, .*dead_letters/,
    );
    expect(await parse(["a"])).toMatch(/required option '--format <format>' not specified/);
  });

  it("as a process: `tickflow export` exits 0, writes the files and prints the summary", () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BIN, "export", ...args], {
        cwd: tmp.dir,
        env: { ...process.env, TICKFLOW_DB: rec, TICKFLOW_DATA: tmp.dir },
        encoding: "utf8",
        timeout: 60_000,
      });
    const r = run(["a", "--format", "arrow", "--tables", "runs,trades,dead_letters"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^run a \(momentum-sentiment, live, \w+\) as arrow into export-a:$/m);
    expect(r.stdout).toMatch(/^trades \| +[\d,]+ \| export-a\/trades\.arrow$/m);
    expect(r.stdout).toMatch(/^not written \(no rows of run a\): dead_letters$/m);
    expect(readdirSync(join(tmp.dir, "export-a")).sort()).toEqual(["runs.arrow", "trades.arrow"]);
    const again = run(["a", "--format", "arrow", "--tables", "trades"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/trades\.arrow already exists; .* give --force .* \[EXPORT_TARGET_EXISTS\]/);
  });
});
