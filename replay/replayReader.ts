// Reads the recorded inputs of a pipeline's sources from DuckDB in the order live sequencing uses
// (event time, then source rank, then stream sequence), chunk by chunk, with bounded memory.
import type { DuckDBDataChunk } from "@duckdb/node-api";
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledSource } from "../pipeline/graph.ts";
import { KINDS } from "../schemas/kinds.ts";
import { inputLayout, runInputMatchSql, runInputsHaveTime } from "../sinks/recordingTables.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import { WATERMARK_END, type ItemColumns } from "../core/chunk.ts";
import type { InputSegment } from "../runtime/ports.ts";
import type { Trade } from "../schemas/trade.ts";
import type { TradeColumns } from "../schemas/tradeColumns.ts";

interface Timed {
  readonly tsEvent: bigint;
}

export interface ReplayBatch {
  readonly sources: ArrayLike<number>;
  readonly items: readonly Timed[];
  /** Every recorded input with an earlier event time is in this or an earlier batch. */
  readonly watermark: bigint;
  /** With `columnar`: the batch as runs of one source, trades as columns (`items` and `sources` built when read). */
  readonly segments?: readonly InputSegment[];
  /** How many inputs the batch holds (without building `items`). */
  readonly count: number;
}

/** What readRecording reads beyond the sources and the range. */
export interface ReadOptions {
  /** Inputs per batch at most. Default 8192. */
  readonly batchSize?: number;
  /** Rows per ordered query (window of event time). Default WINDOW_ROWS. */
  readonly windowRows?: number;
  /** Hand trades over as columns (schemas/tradeColumns.ts) in `segments`. Default false: objects in `items`. */
  readonly columnar?: boolean;
}

export interface ReplayRange {
  /** Inclusive lower bound on event time (ns). */
  readonly fromNs?: bigint;
  /** Exclusive upper bound on event time (ns). */
  readonly toNs?: bigint;
  /** Only the inputs this (live) run processed, as recorded in run_inputs. */
  readonly runId?: string;
}

/** NATS subject filter → anchored regular expression (`*` one token, `>` one or more trailing tokens). */
export function subjectRegex(filter: string): string {
  return (
    "^" +
    filter
      .split(".")
      .map((t) => (t === "*" ? "[^.]+" : t === ">" ? ".+" : t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("\\.") +
    "$"
  );
}

/**
 * SQL matching `subject` against a NATS subject filter. The usual shapes (a literal subject, `prefix.>`,
 * `prefix.*`) become equality and prefix tests DuckDB evaluates without a regular expression per row; any other
 * filter falls back to the anchored regular expression.
 */
export function subjectSql(filter: string): string {
  const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const tokens = filter.split(".");
  const last = tokens[tokens.length - 1]!;
  const head = tokens.slice(0, -1);
  const literal = (ts: string[]) => ts.every((t) => t !== "*" && t !== ">");
  if (literal(tokens)) return `subject = ${q(filter)}`;
  const prefix = `${head.join(".")}.`;
  // Lengths in JS count UTF-16 units, DuckDB's count code points: the shortcut only for ASCII prefixes.
  if (head.length > 0 && literal(head) && /^[ -~]*$/.test(prefix)) {
    if (last === ">") return `(starts_with(subject, ${q(prefix)}) AND length(subject) > ${prefix.length})`;
    if (last === "*") return `(starts_with(subject, ${q(prefix)}) AND length(subject) > ${prefix.length} AND strpos(subject[${prefix.length + 1}:], '.') = 0)`;
  }
  return `regexp_matches(subject, ${q(subjectRegex(filter))})`;
}

/** One DuckDB chunk of a source, decoded: its event times (non-decreasing) and its rows as segments or objects. */
interface Decoded {
  readonly length: number;
  tsAt(i: number): bigint;
  /** Rows [from, to) as a segment of source `source`. */
  segment(source: number, from: number, to: number): InputSegment;
}

type ChunkDecoder = (chunk: DuckDBDataChunk) => Decoded;

/** Rows decoded into objects. */
class DecodedRows implements Decoded {
  constructor(readonly items: readonly Timed[]) {}
  get length(): number {
    return this.items.length;
  }
  tsAt(i: number): bigint {
    return this.items[i]!.tsEvent;
  }
  segment(source: number, from: number, to: number): InputSegment {
    return { source, items: this.items.slice(from, to) };
  }
}

/** Column access without per-item calls: DuckDB numeric vectors keep their values in a typed array. */
function numbers(chunk: DuckDBDataChunk, col: number): ArrayLike<number> {
  const v = chunk.getColumnVector(col) as unknown as { items?: Float64Array; getItem(i: number): number | null };
  if (v.items instanceof Float64Array) return v.items;
  return Array.from({ length: chunk.rowCount }, (_, i) => v.getItem(i) ?? NaN);
}
function bigints(chunk: DuckDBDataChunk, col: number): ArrayLike<bigint> {
  const v = chunk.getColumnVector(col) as unknown as { items?: BigInt64Array; getItem(i: number): bigint | null };
  if (v.items instanceof BigInt64Array) return v.items;
  return Array.from({ length: chunk.rowCount }, (_, i) => v.getItem(i) ?? 0n);
}
function strings(chunk: DuckDBDataChunk, col: number): { getItem(i: number): string | null } {
  return chunk.getColumnVector(col) as unknown as { getItem(i: number): string | null };
}

/**
 * A trade read back from the recording, indistinguishable from the one TradeMessage.decode gives live by anything an
 * operator does with it: the same own enumerable fields in the same order (`id` first, no `side` when unknown), so
 * spreading, serialising, `Object.keys` or comparing field by field give the same result. `id` is an own accessor
 * that decodes the DuckDB vector when read: most operators never read trade ids, and decoding every id string would
 * take most of the replay's time. Private fields are invisible to spread, JSON and keys.
 */
class RecordedTrade {
  // `declare`: no field initialisers, so the constructor sets the own properties in the live decoder's order.
  declare readonly id: string;
  declare readonly symbol: string;
  declare readonly tsEvent: bigint;
  declare readonly price: number;
  declare readonly size: number;
  declare readonly side?: "buy" | "sell";
  /** The chunk the trade was read from: it owns the memory the id is decoded from, so it lives as long as the trade. */
  readonly #source: TradeChunk;
  readonly #row: number;

  constructor(source: TradeChunk, row: number, symbol: string, tsEvent: bigint, price: number, size: number, side: "buy" | "sell" | undefined) {
    this.#source = source;
    this.#row = row;
    Object.defineProperty(this, "id", ID_PROPERTY);
    const self = this as { -readonly [K in "symbol" | "tsEvent" | "price" | "size" | "side"]?: RecordedTrade[K] };
    self.symbol = symbol;
    self.tsEvent = tsEvent;
    self.price = price;
    self.size = size;
    if (side !== undefined) self.side = side;
  }

  static decodeId(t: RecordedTrade): string {
    return t.#source.ids.getItem(t.#row)!;
  }
}

const ID_PROPERTY: PropertyDescriptor = {
  get(this: RecordedTrade): string {
    return RecordedTrade.decodeId(this);
  },
  enumerable: true,
  configurable: false,
};

const SIDES = [undefined, "buy", "sell"] as const;

/** Trades: `SELECT id, symbol code, ts ns, price, size, side code` with symbols interned through a dictionary. */
class TradeChunk implements Decoded {
  /**
   * Kept: the id vector's strings live in the chunk's memory, which DuckDB frees when the chunk is collected (an id
   * decoded after that read freed memory).
   */
  readonly chunk: DuckDBDataChunk;
  readonly ids: { getItem(i: number): string | null };
  readonly symbol: ArrayLike<number>;
  readonly tsEvent: ArrayLike<bigint>;
  readonly price: ArrayLike<number>;
  readonly size: ArrayLike<number>;
  readonly side: ArrayLike<number>;
  readonly length: number;

  constructor(
    chunk: DuckDBDataChunk,
    readonly symbols: readonly string[],
  ) {
    this.chunk = chunk;
    this.length = chunk.rowCount;
    this.ids = strings(chunk, 0);
    this.symbol = numbers(chunk, 1);
    this.tsEvent = bigints(chunk, 2);
    this.price = numbers(chunk, 3);
    this.size = numbers(chunk, 4);
    this.side = numbers(chunk, 5);
  }

  tsAt(i: number): bigint {
    return this.tsEvent[i]!;
  }

  row(i: number): Trade {
    return new RecordedTrade(this, i, this.symbols[this.symbol[i]!]!, this.tsEvent[i]!, this.price[i]!, this.size[i]!, SIDES[this.side[i]!]);
  }

  segment(source: number, from: number, to: number): InputSegment {
    return { source, columns: new TradeSlice(this, from, to) as ItemColumns<Timed> };
  }
}

/** Rows [from, to) of a trade chunk, as the columns operators read (schemas/tradeColumns.ts). */
class TradeSlice implements TradeColumns {
  readonly kind = "trade";
  readonly symbols: readonly string[];
  readonly symbol: ArrayLike<number>;
  readonly tsEvent: ArrayLike<bigint>;
  readonly price: ArrayLike<number>;
  readonly size: ArrayLike<number>;

  constructor(
    private readonly chunk: TradeChunk,
    readonly from: number,
    readonly to: number,
  ) {
    this.symbols = chunk.symbols;
    this.symbol = chunk.symbol;
    this.tsEvent = chunk.tsEvent;
    this.price = chunk.price;
    this.size = chunk.size;
  }

  get length(): number {
    return this.to - this.from;
  }
  get firstTsEvent(): bigint {
    return this.chunk.tsEvent[this.from]!;
  }
  get lastTsEvent(): bigint {
    return this.chunk.tsEvent[this.to - 1]!;
  }
  row(i: number): Trade {
    return this.chunk.row(i);
  }
  rows(): Trade[] {
    const out = new Array<Trade>(this.to - this.from);
    for (let i = this.from; i < this.to; i++) out[i - this.from] = this.chunk.row(i);
    return out;
  }
}

/** Trades as objects, one per row (what readRecording gives without `columnar`). */
function tradeDecoder(symbols: readonly string[]): ChunkDecoder {
  return (chunk) => {
    const c = new TradeChunk(chunk, symbols);
    const out = new Array<Timed>(c.length);
    for (let r = 0; r < c.length; r++) out[r] = c.row(r);
    return new DecodedRows(out);
  };
}

/** Trades as columns: no object per row unless one is read. */
const tradeColumnsDecoder =
  (symbols: readonly string[]): ChunkDecoder =>
  (chunk) =>
    new TradeChunk(chunk, symbols);

function genericDecoder(type: AnyMessageType): ChunkDecoder {
  return (chunk) => {
    const n = chunk.rowCount;
    const cols = type.columns.map((_c: unknown, i: number) => chunk.getColumnVector(i));
    const items = new Array<Timed>(n);
    const row = new Array<unknown>(cols.length);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < cols.length; c++) row[c] = cols[c]!.getItem(r);
      items[r] = type.fromRow(row) as unknown as Timed;
    }
    return new DecodedRows(items);
  };
}

/** Rows per time window of a source's read: DuckDB sorts one window while the pipeline takes the one before. */
export const WINDOW_ROWS = 250_000;

/**
 * Reads one source's rows in order, window after window of event time: each window is its own small ordered query,
 * so DuckDB never sorts the whole recording before the first row (memory stays flat as a recording grows), and the
 * next window's query runs while the pipeline works through this one.
 */
class SourceCursor {
  decoded: Decoded = new DecodedRows([]);
  pos = 0;
  done = false;
  private current?: Awaited<ReturnType<Database["cursor"]>>;
  /** The next window's cursor and its first chunk, being prepared. */
  private nextWindow?: Promise<{ cursor: Awaited<ReturnType<Database["cursor"]>>; first: DuckDBDataChunk | null }>;
  private window = 0;
  private ahead?: Promise<DuckDBDataChunk | null>;
  private closed = false;

  constructor(
    readonly rank: number,
    private readonly decode: ChunkDecoder,
    private readonly windows: readonly string[],
    private readonly db: Database,
  ) {}

  async open(): Promise<void> {
    this.nextWindow = this.openWindow(0);
    await this.fill();
  }

  private openWindow(i: number): SourceCursor["nextWindow"] {
    if (i >= this.windows.length) return undefined;
    const p = (async () => {
      const cursor = await this.db.cursor(this.windows[i]!);
      return { cursor, first: await cursor.next() };
    })();
    p.catch(() => undefined); // awaited (and thrown) by pull()
    return p;
  }

  /** The next chunk in order, across windows. */
  private async pull(): Promise<DuckDBDataChunk | null> {
    for (;;) {
      if (this.current) {
        const chunk = await this.current.next();
        if (chunk) return chunk;
        this.current = undefined;
      }
      if (!this.nextWindow || this.closed) return null;
      const { cursor, first } = await this.nextWindow;
      this.window++;
      this.nextWindow = this.openWindow(this.window);
      this.current = cursor;
      if (first) return first;
    }
  }

  /** Loads the next DuckDB chunk when the current one is used up. */
  async fill(): Promise<void> {
    while (this.pos >= this.decoded.length && !this.done) {
      // One chunk ahead: DuckDB produces the next chunk while this one goes through the pipeline.
      const chunk = await (this.ahead ?? this.pull());
      this.ahead = chunk ? this.pull() : undefined;
      if (!chunk) {
        this.done = true;
        this.decoded = new DecodedRows([]);
        this.pos = 0;
        return;
      }
      this.decoded = this.decode(chunk);
      this.pos = 0;
    }
  }

  close(): void {
    this.closed = true;
    // Let fetches in flight settle before the connections close under them.
    const settle = async (): Promise<void> => {
      await this.ahead?.catch(() => undefined);
      this.current?.close();
      const next = await this.nextWindow?.catch(() => undefined);
      next?.cursor.close();
    };
    void settle().catch(() => undefined);
  }
}

/** The ordered queries of a source's rows, one per window of event time holding about WINDOW_ROWS rows. */
async function windowQueries(db: Database, table: string, from: string, select: string, where: readonly string[], windowRows: number): Promise<string[]> {
  const [r] = await db.query<{ lo: bigint | null; hi: bigint | null; n: bigint }>(
    `SELECT epoch_ns(min(ts_event)) lo, epoch_ns(max(ts_event)) hi, count(*) n FROM "${table}" WHERE ${where.join(" AND ")}`,
  );
  if (!r || r.n === 0n || r.lo === null || r.hi === null) return [];
  const k = BigInt(Math.max(1, Math.ceil(Number(r.n) / windowRows)));
  const width = (r.hi - r.lo) / k + 1n;
  const out: string[] = [];
  for (let i = 0n; i < k; i++) {
    const start = r.lo + i * width;
    if (start > r.hi) break;
    // The last window ends at the newest time itself: start + width may be past the largest timestamp DuckDB takes.
    const end = start + width > r.hi ? `ts_event <= make_timestamp_ns(${r.hi})` : `ts_event < make_timestamp_ns(${start + width})`;
    const bounds = [`ts_event >= make_timestamp_ns(${start})`, end];
    out.push(`SELECT ${select} FROM ${from} WHERE ${[...where, ...bounds].join(" AND ")} ORDER BY ts_event, stream_seq`);
  }
  return out;
}

const tableExists = async (db: Database, name: string): Promise<boolean> =>
  (await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = '${name}'`))[0]!.n > 0n;

/** The WHERE terms selecting a source's recorded inputs: its subjects, the time range, a live run's own inputs. */
function sourceWhere(s: CompiledSource, range: ReplayRange, runInputsTimed: boolean): string[] {
  const layout = inputLayout(KINDS[s.kind] as AnyMessageType);
  const where = [`(${s.subjects.map(subjectSql).join(" OR ")})`];
  if (range.fromNs !== undefined) where.push(`ts_event >= make_timestamp_ns(${range.fromNs})`);
  if (range.toNs !== undefined) where.push(`ts_event < make_timestamp_ns(${range.toNs})`);
  if (range.runId !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM run_inputs r WHERE r.run_id = '${range.runId.replace(/'/g, "''")}' AND r.input_table = '${layout.name}' AND ${runInputMatchSql(layout.name, `"${layout.name}"`, "r", runInputsTimed)})`,
    );
  }
  return where;
}

/** How many recorded inputs `readRecording` would yield for these sources and range, per source name. */
export async function countRecording(db: Database, sources: readonly CompiledSource[], range: ReplayRange = {}): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const timed = range.runId !== undefined && (await runInputsHaveTime(db));
  for (const s of sources) {
    const table = inputLayout(KINDS[s.kind] as AnyMessageType).name;
    if (!(await tableExists(db, table))) {
      out.set(s.name, 0);
      continue;
    }
    const r = await db.query<{ n: bigint }>(`SELECT count(*) n FROM "${table}" WHERE ${sourceWhere(s, range, timed).join(" AND ")}`);
    out.set(s.name, Number(r[0]!.n));
  }
  return out;
}

/**
 * Yields batches of at most `batchSize` inputs merged across sources. The next DuckDB chunk of a source
 * is read only when its current one is used up, and DuckDB sorts one window of event time at a time, so memory
 * stays bounded whatever the recording's size.
 */
export async function* readRecording(
  db: Database,
  sources: readonly CompiledSource[],
  range: ReplayRange = {},
  options: ReadOptions = {},
): AsyncGenerator<ReplayBatch> {
  const batchSize = options.batchSize ?? 8192;
  const cursors: SourceCursor[] = [];
  const timed = range.runId !== undefined && (await runInputsHaveTime(db));
  try {
    for (const s of sources) {
      const type = KINDS[s.kind] as AnyMessageType;
      const layout = inputLayout(type);
      if (!(await tableExists(db, layout.name))) continue;
      const where = sourceWhere(s, range, timed);
      let select: string;
      let decode: ChunkDecoder;
      let from = `"${layout.name}"`;
      if (s.kind === "trade") {
        const dict = (await db.query<{ symbol: string }>(`SELECT DISTINCT symbol FROM trades WHERE ${where.join(" AND ")} ORDER BY symbol`)).map(
          (r) => r.symbol,
        );
        // Symbol codes by a join with the dictionary (a hash join: list_position was a linear search per row, 3.1 s
        // instead of 0.24 s for 1M trades of 10,000 symbols).
        const values = dict.map((d, i) => `('${d.replace(/'/g, "''")}', ${i})`).join(", ");
        if (dict.length > 0) from = `"trades" JOIN (VALUES ${values}) AS dict(symbol, code) USING (symbol)`;
        select = `id, dict.code::DOUBLE, epoch_ns(ts_event), price, size, (CASE side WHEN 'buy' THEN 1 WHEN 'sell' THEN 2 ELSE 0 END)::DOUBLE`;
        decode = options.columnar ? tradeColumnsDecoder(dict) : tradeDecoder(dict);
      } else {
        select = type.columns.map((c: { name: string; type: string }) => (c.type === "TIMESTAMP_NS" ? `epoch_ns("${c.name}")` : `"${c.name}"`)).join(", ");
        decode = genericDecoder(type);
      }
      const cur = new SourceCursor(s.rank, decode, await windowQueries(db, layout.name, from, select, where, options.windowRows ?? WINDOW_ROWS), db);
      await cur.open();
      cursors.push(cur);
    }
    for (;;) {
      const live = cursors.filter((c) => !c.done);
      if (live.length === 0) return;
      const segments: InputSegment[] = [];
      let count = 0;
      while (count < batchSize) {
        // Pick the cursor whose head comes first (ties: lower rank; cursors are in rank order).
        let best: SourceCursor | undefined;
        let bestTs = 0n;
        for (const c of live) {
          if (c.done) continue;
          const t = c.decoded.tsAt(c.pos);
          if (!best || t < bestTs) {
            best = c;
            bestTs = t;
          }
        }
        if (!best) break;
        // Take a run from `best` up to the next head of any other cursor: before it, or up to it when that cursor
        // ranks after `best` (ties go to the lower rank).
        let limit: bigint | undefined;
        let limitRankAfter = false;
        for (const c of live) {
          if (c === best || c.done) continue;
          const t = c.decoded.tsAt(c.pos);
          if (limit === undefined || t < limit) {
            limit = t;
            limitRankAfter = c.rank > best.rank;
          }
        }
        const d = best.decoded;
        const from = best.pos;
        const max = Math.min(d.length, from + (batchSize - count));
        const end = limit === undefined ? max : runEnd(d, from, max, limit, limitRankAfter);
        if (end === from) throw new Error(`replay merge made no progress at ${bestTs} (a source's rows out of event-time order?)`);
        segments.push(d.segment(best.rank, from, end));
        count += end - from;
        best.pos = end;
        if (end >= d.length) await best.fill();
      }
      let next: bigint | undefined;
      for (const c of cursors)
        if (!c.done) {
          const t = c.decoded.tsAt(c.pos);
          if (next === undefined || t < next) next = t;
        }
      const watermark = next ?? WATERMARK_END;
      yield options.columnar ? columnarBatch(segments, count, watermark) : rowBatch(segments, count, watermark);
    }
  } finally {
    for (const c of cursors) c.close();
  }
}

/**
 * The end of the run of `d` from `from` (exclusive, at most `max`): the first row after the other sources' next head
 * `limit`, or at it when `inclusive` (that source ranks after this one). Rows are in event-time order: a binary search.
 */
function runEnd(d: Decoded, from: number, max: number, limit: bigint, inclusive: boolean): number {
  let lo = from;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = d.tsAt(mid);
    if (t < limit || (inclusive && t === limit)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function rowsOf(segments: readonly InputSegment[], count: number): { items: Timed[]; sources: number[] } {
  const items = new Array<Timed>(count);
  const sources = new Array<number>(count);
  let k = 0;
  for (const seg of segments) {
    const rows = "columns" in seg ? seg.columns.rows() : seg.items;
    for (const r of rows) {
      items[k] = r;
      sources[k++] = seg.source;
    }
  }
  return { items, sources };
}

function rowBatch(segments: readonly InputSegment[], count: number, watermark: bigint): ReplayBatch {
  return { ...rowsOf(segments, count), watermark, count };
}

/** A batch of segments whose `items` and `sources` are built only if something reads them. */
function columnarBatch(segments: readonly InputSegment[], count: number, watermark: bigint): ReplayBatch {
  let rows: { items: Timed[]; sources: number[] } | undefined;
  return {
    segments,
    watermark,
    count,
    get items() {
      rows ??= rowsOf(segments, count);
      return rows.items;
    },
    get sources() {
      rows ??= rowsOf(segments, count);
      return rows.sources;
    },
  };
}
