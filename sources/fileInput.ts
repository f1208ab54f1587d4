// The file source: a recorded market CSV, a news JSONL or a Parquet file fed to a pipeline as if it were live, in
// event-time order, each input recorded under `file.<kind>.<file name>` so `tickflow replay` reads it back.
import { readFileSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { z } from "zod";
import { WATERMARK_END } from "../core/chunk.ts";
import { defineSource } from "../runtime/connectors.ts";
import type { InputBatch, InputOrigin, InputPort, Timed } from "../runtime/ports.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import { inputIdOf, KINDS, SOURCE_KINDS, type SourceKind } from "../schemas/kinds.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import { parseMarketFile, type RowError } from "./importers/parseMarketFile.ts";
import { parseNewsJsonl } from "./importers/parseNewsFile.ts";
import { readParquetFile, type FileRows } from "./readParquetFile.ts";
import { SourceReadError } from "./sourceErrors.ts";

export type FileFormat = "csv" | "jsonl" | "parquet";

export interface FileSourceParams {
  readonly path: string;
  readonly format?: FileFormat;
  readonly symbol?: string;
  readonly batchSize: number;
}

const EXTENSIONS: Record<string, FileFormat> = { ".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".parquet": "parquet" };

/** The declared format, else the one the extension names; undefined when neither says. */
export function fileFormatOf(p: Pick<FileSourceParams, "path" | "format">): FileFormat | undefined {
  return p.format ?? EXTENSIONS[extname(p.path).toLowerCase()];
}

/** The subject a file's inputs are recorded under: `file.<kind>.<file name, other than [A-Za-z0-9_-] as _>`. */
export function fileSubject(kind: SourceKind, path: string): string {
  return `file.${kind}.${basename(path).replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** One declared source read from a file. */
export interface FileInputSource {
  readonly name: string;
  readonly kind: SourceKind;
  /** Position in the declaration: breaks event-time ties between sources, as replay does. */
  readonly rank: number;
  readonly params: FileSourceParams;
}

interface Loaded {
  readonly items: Timed[];
  readonly ranks: number[];
  readonly origins: InputOrigin[];
  readonly deadLetters: DeadLetter[];
  readonly batchSize: number;
}

const fieldOf = (reason: string): string | undefined => /^field "([^"]+)"/.exec(reason)?.[1];

/**
 * Reads every declared file whole (a file is finite and may be unsorted), merges them in event-time order (ties:
 * declaration order, then file order: the order replay reads the recording in) and hands them over in batches.
 * Rows the parser rejects and repeated message ids become dead letters on the first batch.
 */
export class FileInput implements InputPort {
  readonly name = "file";
  private loaded?: Promise<Loaded>;
  private stopping = false;

  /** `cwd`: what relative paths are resolved against. */
  constructor(
    private readonly sources: readonly FileInputSource[],
    private readonly cwd: string = process.cwd(),
  ) {}

  /** Reads and parses the files; a file that cannot be read fails here, before the run starts. Idempotent. */
  async open(): Promise<void> {
    this.loaded ??= this.load();
    await this.loaded;
  }

  async *batches(): AsyncIterable<InputBatch> {
    await this.open();
    const { items, ranks, origins, deadLetters, batchSize } = await this.loaded!;
    if (items.length === 0) {
      if (deadLetters.length) yield { items: [], sources: [], origins: [], watermark: WATERMARK_END, deadLetters };
      return;
    }
    for (let i = 0; i < items.length && !this.stopping; i += batchSize) {
      const j = Math.min(i + batchSize, items.length);
      yield {
        items: items.slice(i, j),
        sources: ranks.slice(i, j),
        origins: origins.slice(i, j),
        // Sorted input: nothing earlier than the next batch's first event time is still to come.
        watermark: j < items.length ? items[j]!.tsEvent : WATERMARK_END,
        deadLetters: i === 0 ? deadLetters : undefined,
      };
    }
  }

  /** Nothing is held back: the batches end at the next batch boundary. */
  async stop(): Promise<void> {
    this.stopping = true;
  }

  private async load(): Promise<Loaded> {
    const entries: { item: Timed; rank: number; origin: InputOrigin; source: FileInputSource; ref: string }[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const s of this.sources) {
      const subject = fileSubject(s.kind, s.params.path);
      const rows = await this.read(s);
      for (const e of rows.errors) {
        const ref = `${s.params.path}:${e.line}`;
        deadLetters.push({ stage: "decode", subject, ref, reason: `${ref}: ${e.reason} (row skipped)`, field: fieldOf(e.reason), payload: e.text });
      }
      rows.items.forEach((item, k) => {
        const line = rows.lines[k]!;
        entries.push({ item, rank: s.rank, origin: { subject, streamSeq: BigInt(line) }, source: s, ref: `${s.params.path}:${line}` });
      });
    }
    // Stable: entries are in declaration order, then file order, which is how ties stay.
    entries.sort((a, b) => (a.item.tsEvent < b.item.tsEvent ? -1 : a.item.tsEvent > b.item.tsEvent ? 1 : a.rank - b.rank));
    // The recording keeps one input per message id, so the run does too: the first in event-time order counts.
    const firstRef = new Map<string, string>();
    const kept: typeof entries = [];
    for (const e of entries) {
      const id = inputIdOf(e.source.kind, e.item);
      const key = `${e.source.kind}:${id}`;
      const first = firstRef.get(key);
      if (first === undefined) {
        firstRef.set(key, e.ref);
        kept.push(e);
        continue;
      }
      const type = KINDS[e.source.kind] as AnyMessageType;
      deadLetters.push({
        stage: "duplicate",
        subject: e.origin.subject,
        ref: e.ref,
        reason: `${e.ref}: ${e.source.kind} id ${id} was already given by ${first}; the first one counts, as in the recording`,
        field: "id",
        payload: JSON.stringify(type.encode(e.item as never)),
      });
    }
    return {
      items: kept.map((e) => e.item),
      ranks: kept.map((e) => e.rank),
      origins: kept.map((e) => e.origin),
      deadLetters,
      batchSize: Math.min(...this.sources.map((s) => s.params.batchSize)),
    };
  }

  private async read(s: FileInputSource): Promise<FileRows> {
    const p = s.params;
    const file = resolve(this.cwd, p.path);
    const what = `file source "${s.name}" (${p.path})`;
    const format = fileFormatOf(p);
    if (format === "parquet")
      return readParquetFile(file, KINDS[s.kind] as AnyMessageType).catch((e: unknown) => {
        throw new SourceReadError(`${what}: ${(e as Error).message}`, { cause: e });
      });
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new SourceReadError(`${what}: cannot read ${file} (${(e as Error).message}): check params.path (relative paths are resolved against ${this.cwd})`, {
        cause: e,
      });
    }
    if (format === "jsonl") {
      if (s.kind !== "news")
        throw new Error(`${what}: JSON Lines files hold news, but the source is type ${s.kind}: declare type: news, or give a CSV or Parquet file`);
      const r = parseNewsJsonl(text, p.path);
      return { items: r.news, lines: acceptedLines(text, r.errors, 0, r.news.length, what), errors: r.errors };
    }
    if (s.kind === "news") throw new Error(`${what}: news files are JSON Lines (.jsonl) or Parquet, not CSV: give format: jsonl or a .jsonl file`);
    if (!p.symbol) throw new Error(`${what}: a CSV market file has no symbol column: give params.symbol (as tickflow import --symbol)`);
    let r: ReturnType<typeof parseMarketFile>;
    try {
      r = parseMarketFile(text, { symbol: p.symbol, file: p.path });
    } catch (e) {
      throw new SourceReadError(`${what}: ${(e as Error).message}`, { cause: e });
    }
    if (r.kind !== s.kind) {
      const holds = r.kind === "bar" ? `${r.timeframe} bars (layout ${r.layout})` : "trade ticks";
      throw new Error(`${what}: the file holds ${holds}, but the source is type ${s.kind}: declare type: ${r.kind}`);
    }
    const items: Timed[] = r.kind === "bar" ? r.bars : r.trades;
    return { items, lines: acceptedLines(text, r.errors, 1, items.length, what), errors: r.errors };
  }
}

/**
 * The line numbers of the rows a parser accepted, in order: its non-blank data lines less the ones it rejected
 * (the parsers return items in file order and skip blank lines). Checked against the item count, so a parser
 * that starts skipping other lines fails loudly instead of mislabelling what the recording keys by.
 */
function acceptedLines(text: string, errors: readonly RowError[], headerLines: number, count: number, what: string): number[] {
  const rejected = new Set(errors.map((e) => e.line));
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (i >= headerLines && raw.trim() !== "" && !rejected.has(i + 1)) lines.push(i + 1);
  });
  if (lines.length !== count)
    throw new Error(
      `${what}: the parser accepted ${count} rows but ${lines.length} lines are neither blank nor rejected; cannot number the rows (a bug in sources/importers/)`,
    );
  return lines;
}

const FILE_PARAMS = z
  .strictObject({
    path: z.string().min(1).describe("The file to read; a relative path is resolved against the working directory of the process."),
    format: z
      .enum(["csv", "jsonl", "parquet"])
      .optional()
      .describe("csv (market bars or ticks), jsonl (news) or parquet (any source type); default: from the extension (.csv/.txt, .jsonl, .parquet)."),
    symbol: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, "must be a symbol like ORCL or BRK.B")
      .transform((s) => s.toUpperCase())
      .optional()
      .describe("The instrument of every row of a CSV market file (its layouts have no symbol column), upper-cased; as `tickflow import --symbol`."),
    batchSize: z.number().int().positive().default(8192).describe("Inputs per batch handed to the pipeline (with several file sources, the smallest counts)."),
  })
  .superRefine((p, ctx) => {
    const format = fileFormatOf(p);
    if (!format)
      ctx.addIssue({
        code: "custom",
        path: ["format"],
        message: `cannot tell the format of "${basename(p.path)}" from its extension: give format: csv, jsonl or parquet`,
      });
    if (format === "csv" && !p.symbol)
      ctx.addIssue({
        code: "custom",
        path: ["symbol"],
        message: "a CSV market file has no symbol column: give symbol (e.g. symbol: ORCL), as tickflow import --symbol",
      });
  });

export const fileSource = defineSource({
  connector: "file",
  summary:
    "Reads a recorded file as a live input, in event-time order: market CSV (the layouts `tickflow import` reads), news JSONL, or Parquet " +
    "with the type's recording columns (symbol, ts_open, ts_event, ...). Inputs are recorded under file.<type>.<file name>; bad rows become dead letters.",
  params: FILE_PARAMS,
  example: "{ type: bar, connector: file, params: { path: ../shared/data/market/orcl-1995-2014.txt, symbol: ORCL } }",
  kinds: SOURCE_KINDS,
  subjects: (p, kind) => [fileSubject(kind, p.path)],
  open: (sources, params) => new FileInput(sources.map((s, i) => ({ name: s.name, kind: s.kind, rank: s.rank, params: params[i]! }))),
});
