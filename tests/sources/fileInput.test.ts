// The file source through the run driver, as a pipeline user runs it: market CSV in event-time order, malformed
// rows as dead letters naming file:line and field, live-from-file = replay from the recording (same digest), a
// Parquet file written by DuckDB reading back as the CSV did, and news JSON Lines.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { WATERMARK_END } from "../../core/chunk.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { openInput, openOutputs, Services } from "../../runtime/connectors.ts";
import { CollectingOutput } from "../../runtime/memoryInput.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import type { DeadLetterPort, InputBatch, InputRecorder } from "../../runtime/ports.ts";
import { RunDriver, type RunJournal } from "../../runtime/runDriver.ts";
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import type { DeadLetter } from "../../schemas/deadLetter.ts";
import type { News } from "../../schemas/news.ts";
import { parseTimeNs } from "../../schemas/time.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { DeadLetterRecorder, DuckDbInputRecorder, RECORDER } from "../../sinks/outputSinks.ts";
import { parseMarketFile } from "../../sources/importers/parseMarketFile.ts";
import { fileSubject } from "../../sources/fileInput.ts";
import { replay } from "../../replay/replay.ts";
import { DuckDbRunJournal } from "../../replay/runs.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";

const ORCL = "tests/fixtures/market/orcl-1995-2014.txt";
const MALFORMED = "tests/fixtures/market/malformed-daily.txt";
const t = (iso: string): bigint => parseTimeNs(iso)!;
const tmp = tempDir("tickflow-file-source-");
afterAll(() => tmp.cleanup());

/** The fixture's bars as `tickflow import` parses them. */
function csvBars(file: string, symbol = "ORCL"): Bar[] {
  const r = parseMarketFile(readFileSync(file, "utf8"), { symbol, file });
  if (r.kind !== "bar") throw new Error("expected bars");
  return r.bars;
}

const barsPipeline = (params: string, batchSize = 7): CompiledPipeline =>
  parsePipeline(
    `name: file-bars
sources:
  bars: { type: bar, connector: file, params: { ${params}, batchSize: ${batchSize} } }
nodes:
  indicators: { op: indicators, in: bars, params: { set: [{ id: sma3, name: sma, period: 3 }, { id: rsi, name: rsi, period: 5 }] } }
sinks:
  - { type: duckdb, in: bars }
  - { type: duckdb, in: indicators }
`,
    "file-bars.yaml",
  );

class CollectDeadLetters implements DeadLetterPort {
  readonly stage = "observe";
  readonly letters: DeadLetter[] = [];
  async write(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
  }
}

interface Ran {
  readonly out: CollectingOutput;
  readonly dead: CollectDeadLetters;
  readonly batches: InputBatch[];
  readonly summary: RunSummary;
}

/** A live run of `p` with the connector the declaration names (openInput), every output node collected. */
async function runLive(
  p: CompiledPipeline,
  extra: { runId?: string; recorder?: InputRecorder; services?: Services; journal?: RunJournal; deadLetters?: DeadLetterPort[] } = {},
): Promise<Ran> {
  const runId = extra.runId ?? "live";
  const services = extra.services ?? new Services();
  const out = new CollectingOutput();
  const dead = new CollectDeadLetters();
  const batches: InputBatch[] = [];
  const recorded = services.has(RECORDER) ? openOutputs(p, CONNECTORS, "live", runId, services) : [];
  const driver = new RunDriver({
    pipeline: p,
    runId,
    mode: "live",
    input: openInput(p, CONNECTORS, runId, services),
    outputs: [...recorded, ...p.outputs.map((node) => ({ port: out, node }))],
    deadLetters: [dead, ...(extra.deadLetters ?? [])],
    recorder: extra.recorder,
    journal: extra.journal,
    onCommitted: (b) => batches.push(b),
  });
  return { out, dead, batches, summary: await driver.execute() };
}

describe("file source: market CSV through the run driver", () => {
  it("gives every bar of the file once, in event-time order, in batches whose watermark is the next batch's first event time", async () => {
    const r = await runLive(barsPipeline(`path: ${ORCL}, symbol: orcl`));
    const want = csvBars(ORCL);
    expect(want).toHaveLength(30);
    expect(r.out.get<Bar>("bars")).toEqual(want);
    expect(r.out.get("indicators")).toHaveLength(30);
    expect(r.batches.map((b) => b.items.length)).toEqual([7, 7, 7, 7, 2]);
    expect(r.batches.map((b) => b.watermark)).toEqual([...[7, 14, 21, 28].map((i) => want[i]!.tsEvent), WATERMARK_END]);
    // Recorded under the file's subject, numbered by line (line 1 is the header).
    const origins = r.batches.flatMap((b) => b.origins!);
    expect(new Set(origins.map((o) => o.subject))).toEqual(new Set(["file.bar.orcl-1995-2014_txt"]));
    expect(origins.map((o) => o.streamSeq)).toEqual(want.map((_b, i) => BigInt(i + 2)));
    expect(r.dead.letters).toEqual([]);
    expect(r.summary.counters.inputs).toBe(30);
  });

  it("malformed rows become dead letters on the first batch, naming file:line and the field; the other rows still run", async () => {
    const r = await runLive(barsPipeline(`path: ${MALFORMED}, symbol: IDX`));
    expect(r.dead.letters.map((l) => [l.stage, l.subject, l.ref, l.field])).toEqual([
      ["decode", "file.bar.malformed-daily_txt", `${MALFORMED}:4`, "low"],
      ["decode", "file.bar.malformed-daily_txt", `${MALFORMED}:6`, "time"],
      ["decode", "file.bar.malformed-daily_txt", `${MALFORMED}:8`, "high"],
      ["decode", "file.bar.malformed-daily_txt", `${MALFORMED}:10`, "close"],
    ]);
    expect(r.dead.letters[0]!.reason).toBe(`${MALFORMED}:4: field "low": "36l5.23" is not a finite number (row skipped)`);
    expect(r.dead.letters[0]!.payload).toBe("2006-01-04,3615.23,3652.46,36l5.23,3652.46,0,0");
    expect(r.batches[0]!.deadLetters).toHaveLength(4);
    expect(r.batches.slice(1).every((b) => !b.deadLetters?.length)).toBe(true);
    expect(r.out.get<Bar>("bars").map((b) => b.tsOpen)).toEqual(["2006-01-02", "2006-01-03", "2006-01-05", "2006-01-09", "2006-01-11", "2006-01-13"].map(t));
    expect(r.summary.counters.deadLetters).toBe(4);
  });

  it("sorts an unsorted file (ties keep file order) and dead-letters a repeated bar: the first one counts, as in the recording", async () => {
    const lines = readFileSync(ORCL, "utf8").trimEnd().split("\n");
    const rows = lines.slice(1, 6);
    // Reversed, then the first data row again with another close.
    const file = join(tmp.dir, "orcl-unsorted.csv");
    writeFileSync(file, [lines[0], ...[...rows].reverse(), rows[0]!.replace("2.117284,1.883304", "2.12,1.883304")].join("\n") + "\n");
    const r = await runLive(barsPipeline(`path: ${file}, symbol: ORCL`));
    expect(r.out.get<Bar>("bars")).toEqual(csvBars(ORCL).slice(0, 5));
    expect(r.batches.flatMap((b) => b.origins!).map((o) => o.streamSeq)).toEqual([6n, 5n, 4n, 3n, 2n]);
    expect(r.dead.letters.map((l) => [l.stage, l.ref, l.field])).toEqual([["duplicate", `${file}:7`, "id"]]);
    expect(r.dead.letters[0]!.reason).toContain(`already given by ${file}:6`);
  });

  it("refuses at load what cannot work, naming the file, the line and the connector's example", () => {
    const load = (params: string) => () =>
      parsePipeline(
        `name: bad\nsources:\n  bars:\n    type: bar\n    connector: file\n    params: { ${params} }\nnodes: {}\nsinks:\n  - { type: duckdb, in: bars }\n`,
        "bad.yaml",
      );
    expect(load(`path: ${ORCL}`)).toThrow(
      /^bad\.yaml:6:\d+: at sources\.bars\.params\.symbol: a CSV market file has no symbol column: give symbol .*example: \{ type: bar, connector: file/,
    );
    expect(load("path: data/bars.dat")).toThrow(
      /^bad\.yaml:6:\d+: at sources\.bars\.params\.format: cannot tell the format of "bars\.dat" from its extension: give format: csv, jsonl or parquet/,
    );
    expect(load("path: x.csv, symbol: ORCL, batch: 5")).toThrow(/at sources\.bars\.params\.batch: unknown key "batch"/);
    expect(load("path: x.parquet, format: xls")).toThrow(/at sources\.bars\.params\.format: .*"csv"/);
  });

  it("a file that is not there or does not hold the declared type fails the run before any batch, saying what to do", async () => {
    await expect(runLive(barsPipeline("path: tests/fixtures/market/nope.txt, symbol: ORCL"))).rejects.toThrow(
      /file source "bars" \(tests\/fixtures\/market\/nope\.txt\): cannot read .*nope\.txt .*check params\.path \(relative paths are resolved against /,
    );
    const ticks = parsePipeline(
      `name: t\nsources:\n  ticks: { type: trade, connector: file, params: { path: ${ORCL}, symbol: ORCL } }\nnodes: {}\nsinks: [{ type: duckdb, in: ticks }]\n`,
    );
    await expect(runLive(ticks)).rejects.toThrow(/the file holds 1d bars \(layout yahoo\), but the source is type trade: declare type: bar/);
  });
});

describe("file source: live from the file, then replay from the recording", () => {
  it("gives the same digest, the inputs recorded under the file's subject", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      const p = barsPipeline(`path: ${MALFORMED}, symbol: IDX`, 4);
      const live = await runLive(p, {
        runId: "live-file",
        services: new Services().provide(RECORDER, sink),
        recorder: new DuckDbInputRecorder(sink),
        journal: new DuckDbRunJournal(db),
        deadLetters: [new DeadLetterRecorder("live-file", sink)],
      });
      const recorded = await db.query<{ subject: string; n: bigint; first_seq: bigint }>(
        `SELECT subject, count(*) n, min(stream_seq) first_seq FROM bars GROUP BY subject`,
      );
      expect(recorded).toEqual([{ subject: fileSubject("bar", MALFORMED), n: 6n, first_seq: 2n }]);
      const letters = await db.query<{ ref: string }>(`SELECT ref FROM dead_letters WHERE run_id = 'live-file' ORDER BY out_seq`);
      expect(letters.map((l) => l.ref)).toEqual([4, 6, 8, 10].map((l) => `${MALFORMED}:${l}`));

      const again = await replay({ pipeline: p, db, runId: "replay-file" });
      expect(again.counters.inputs).toBe(6);
      expect(again.digest).toBe(live.summary.digest);
      expect(again.perNodeDigest).toEqual(live.summary.perNodeDigest);
    });
  });

  it("the same on the 30-row ORCL fixture, in batches of 7 live and 8192 in replay", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      const p = barsPipeline(`path: ${ORCL}, symbol: ORCL`);
      const live = await runLive(p, {
        runId: "live-orcl",
        services: new Services().provide(RECORDER, sink),
        recorder: new DuckDbInputRecorder(sink),
        journal: new DuckDbRunJournal(db),
      });
      const again = await replay({ pipeline: p, db, runId: "replay-orcl" });
      expect(again.counters.inputs).toBe(30);
      expect(again.digest).toBe(live.summary.digest);
    });
  });
});

describe("file source: Parquet through DuckDB's reader", () => {
  it("a Parquet file written by DuckDB (rows shuffled, the recording's columns) gives the same items as the CSV", async () => {
    const file = join(tmp.dir, "orcl.parquet");
    const bars = csvBars(ORCL);
    await withDatabase(async (db) => {
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        bars,
        bars.map((_b, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
      );
      await db.run(`COPY (SELECT * FROM bars ORDER BY ts_event DESC) TO '${file}' (FORMAT parquet)`);
    });
    const r = await runLive(barsPipeline(`path: ${file}`));
    expect(r.out.get<Bar>("bars")).toEqual(bars);
    expect(r.batches[0]!.origins![0]).toEqual({ subject: "file.bar.orcl_parquet", streamSeq: 30n });
    expect(r.dead.letters).toEqual([]);
  });

  it("takes BIGINT nanoseconds and other numeric types; a row failing the bar checks is a dead letter naming file:row and the field", async () => {
    const file = join(tmp.dir, "mixed.parquet");
    await withDatabase(async (db) => {
      await db.run(`COPY (
        SELECT * FROM (VALUES
          ('ORCL', '1d', 788400000000000000::BIGINT, TIMESTAMP '1994-12-31', 2.0::FLOAT, 2.5::DECIMAL(6,2), 1.5, 2.25, 100::INTEGER, 2.0, 0),
          ('ORCL', '1d', 788486400000000000::BIGINT, TIMESTAMP '1995-01-01', 2.0::FLOAT, 1.0::DECIMAL(6,2), 1.5, 2.25, 100::INTEGER, 2.0, 0)
        ) v(symbol, timeframe, ts_open, ts_event, open, high, low, close, volume, vwap, trades)
      ) TO '${file}' (FORMAT parquet)`);
    });
    const r = await runLive(barsPipeline(`path: ${file}`));
    expect(r.out.get<Bar>("bars")).toEqual([
      {
        symbol: "ORCL",
        timeframe: "1d",
        tsOpen: 788400000000000000n,
        tsEvent: t("1994-12-31"),
        open: 2,
        high: 2.5,
        low: 1.5,
        close: 2.25,
        volume: 100,
        vwap: 2,
        trades: 0,
      },
    ]);
    expect(r.dead.letters.map((l) => [l.stage, l.ref, l.field])).toEqual([["decode", `${file}:2`, "high"]]);
    expect(r.dead.letters[0]!.payload).toContain('"symbol":"ORCL"');
  });

  it("a Parquet file without the type's columns is refused, naming the missing columns and the contract", async () => {
    const file = join(tmp.dir, "prices.parquet");
    await withDatabase(async (db) => {
      await db.run(`COPY (SELECT 'ORCL' symbol, 1.0 price) TO '${file}' (FORMAT parquet)`);
    });
    await expect(runLive(barsPipeline(`path: ${file}`))).rejects.toThrow(
      /a bar Parquet file needs the columns symbol VARCHAR, timeframe VARCHAR, ts_open TIMESTAMP_NS, .*missing timeframe, ts_open, ts_event, open, high, low, close, volume, vwap, trades \(it has symbol, price\)/,
    );
  });
});

describe("file source: news JSON Lines", () => {
  const file = join(tmp.dir, "wire.jsonl");
  writeFileSync(
    file,
    [
      JSON.stringify({ id: "n2", source: "wire", ts: "1995-01-05T14:00:00Z", headline: "Oracle shares plunge after weak forecast", symbols: ["ORCL"] }),
      JSON.stringify({ id: "n1", source: "wire", ts: "1995-01-03T14:00:00Z", headline: "Oracle beats estimates on strong database sales", symbols: ["ORCL"] }),
      "{not json",
      "",
      JSON.stringify({ source: "wire", ts: "1995-01-04T09:00:00Z", headline: "Oracle to present at a conference", symbols: ["ORCL"] }),
    ].join("\n"),
  );

  it("reads news in event-time order with the parser's ids; a bad line is a dead letter; sentiment scores them", async () => {
    const p = parsePipeline(`name: file-news
sources:
  news: { type: news, connector: file, params: { path: ${file} } }
nodes:
  scored: { op: scoreSentiment, in: news }
sinks:
  - { type: duckdb, in: news }
  - { type: duckdb, in: scored }
`);
    expect(p.sources[0]!.subjects).toEqual(["file.news.wire_jsonl"]);
    const r = await runLive(p);
    const news = r.out.get<News>("news");
    expect(news.map((n) => n.id)).toEqual(["n1", `wire:${t("1995-01-04T09:00:00Z")}:5`, "n2"]);
    expect(r.batches.flatMap((b) => b.origins!).map((o) => o.streamSeq)).toEqual([2n, 5n, 1n]);
    expect(r.dead.letters.map((l) => [l.stage, l.ref])).toEqual([["decode", `${file}:3`]]);
    expect(r.dead.letters[0]!.reason).toMatch(/not valid JSON/);
    expect(r.out.get("scored").length).toBeGreaterThan(0);
  });

  it("bars from a CSV and news from a JSONL in one pipeline are merged in event-time order", async () => {
    const p = parsePipeline(`name: file-both
sources:
  bars: { type: bar, connector: file, params: { path: ${ORCL}, symbol: ORCL, batchSize: 5 } }
  news: { type: news, connector: file, params: { path: ${file} } }
nodes: {}
sinks:
  - { type: duckdb, in: bars }
  - { type: duckdb, in: news }
`);
    const r = await runLive(p);
    const items = r.batches.flatMap((b) => b.items);
    const sources = r.batches.flatMap((b) => Array.from(b.sources));
    expect(items).toHaveLength(33);
    expect(items.every((x, i) => i === 0 || items[i - 1]!.tsEvent <= x.tsEvent)).toBe(true);
    // n1 (01-03 14:00) comes before the first bar (known at its end, 01-04 00:00); the next news (01-04 09:00) right after it.
    expect(sources.slice(0, 3)).toEqual([1, 0, 1]);
    expect(r.out.get("bars")).toHaveLength(30);
    expect(r.out.get("news")).toHaveLength(3);
  });
});
