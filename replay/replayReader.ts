// Reads the recorded inputs of a pipeline's sources from DuckDB in the order live sequencing uses
// (event time, then source rank, then stream sequence), chunk by chunk, with bounded memory.
import type { Database } from "../engine/duckdb/database.ts";
import type { CompiledSource } from "../engine/pipeline/graph.ts";
import { KINDS } from "../engine/pipeline/kinds.ts";
import { inputLayout, type AnyMessageType } from "../sinks/recordingTables.ts";
import { WATERMARK_END } from "../engine/chunk.ts";

interface Timed {
  readonly tsEvent: bigint;
}

export interface ReplayBatch {
  readonly sources: number[];
  readonly items: Timed[];
  /** Every recorded input with an earlier event time is in this or an earlier batch. */
  readonly watermark: bigint;
}

export interface ReplayRange {
  /** Inclusive lower bound on event time (ns). */
  readonly fromNs?: bigint;
  /** Exclusive upper bound on event time (ns). */
  readonly toNs?: bigint;
}

/** NATS subject filter → anchored regular expression (`*` one token, `>` one or more trailing tokens). */
export function subjectRegex(filter: string): string {
  return "^" + filter.split(".").map((t) => (t === "*" ? "[^.]+" : t === ">" ? ".+" : t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("\\.") + "$";
}

class SourceCursor {
  items: Timed[] = [];
  pos = 0;
  done = false;
  private cursor?: Awaited<ReturnType<Database["cursor"]>>;

  constructor(
    readonly rank: number,
    private readonly type: AnyMessageType,
    private readonly sql: string,
  ) {}

  async open(db: Database): Promise<void> {
    this.cursor = await db.cursor(this.sql);
    await this.fill();
  }

  /** Loads the next DuckDB chunk when the current one is used up. */
  async fill(): Promise<void> {
    while (this.pos >= this.items.length && !this.done) {
      const chunk = await this.cursor!.next();
      if (!chunk) {
        this.done = true;
        this.items = [];
        this.pos = 0;
        return;
      }
      const n = chunk.rowCount;
      const cols = this.type.columns.map((_c: unknown, i: number) => chunk.getColumnVector(i));
      const items = new Array<Timed>(n);
      const row = new Array<unknown>(cols.length);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < cols.length; c++) row[c] = cols[c]!.getItem(r);
        items[r] = this.type.fromRow(row) as unknown as Timed;
      }
      this.items = items;
      this.pos = 0;
    }
  }

  close(): void {
    this.cursor?.close();
  }
}

/**
 * Yields batches of at most `batchSize` inputs merged across sources. The next DuckDB chunk of a source
 * is read only when its current one is used up, so memory stays bounded whatever the recording's size.
 */
export async function* readRecording(db: Database, sources: readonly CompiledSource[], range: ReplayRange = {}, batchSize = 8192): AsyncGenerator<ReplayBatch> {
  const cursors: SourceCursor[] = [];
  try {
    for (const s of sources) {
      const type = KINDS[s.kind] as AnyMessageType;
      const layout = inputLayout(type);
      const exists = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = '${layout.name}'`);
      if (exists[0]!.n === 0n) continue;
      const select = type.columns.map((c: { name: string; type: string }) => (c.type === "TIMESTAMP_NS" ? `epoch_ns("${c.name}")` : `"${c.name}"`)).join(", ");
      const where = [`(${s.subjects.map((f) => `regexp_matches(subject, '${subjectRegex(f).replace(/'/g, "''")}')`).join(" OR ")})`];
      if (range.fromNs !== undefined) where.push(`ts_event >= make_timestamp_ns(${range.fromNs})`);
      if (range.toNs !== undefined) where.push(`ts_event < make_timestamp_ns(${range.toNs})`);
      const sql = `SELECT ${select} FROM "${layout.name}" WHERE ${where.join(" AND ")} ORDER BY ts_event, stream_seq`;
      const cur = new SourceCursor(s.rank, type, sql);
      await cur.open(db);
      cursors.push(cur);
    }
    for (;;) {
      const live = cursors.filter((c) => !c.done);
      if (live.length === 0) return;
      const sourcesOut: number[] = [];
      const items: Timed[] = [];
      while (items.length < batchSize) {
        // Pick the cursor whose head comes first (ties: lower rank; cursors are in rank order).
        let best: SourceCursor | undefined;
        for (const c of live) {
          if (c.done) continue;
          if (!best || c.items[c.pos]!.tsEvent < best.items[best.pos]!.tsEvent) best = c;
        }
        if (!best) break;
        // Take a run from `best` up to the next head of any other cursor.
        let limit: bigint | undefined;
        let limitRankAfter = false;
        for (const c of live) {
          if (c === best || c.done) continue;
          const t = c.items[c.pos]!.tsEvent;
          if (limit === undefined || t < limit) {
            limit = t;
            limitRankAfter = c.rank > best.rank;
          }
        }
        const arr = best.items;
        let p = best.pos;
        const end = Math.min(arr.length, p + (batchSize - items.length));
        while (p < end) {
          const t = arr[p]!.tsEvent;
          if (limit !== undefined && (t > limit || (t === limit && !limitRankAfter))) break;
          items.push(arr[p]!);
          sourcesOut.push(best.rank);
          p++;
        }
        best.pos = p;
        if (p >= arr.length) {
          await best.fill();
        }
      }
      let next: bigint | undefined;
      for (const c of cursors) if (!c.done) { const t = c.items[c.pos]!.tsEvent; if (next === undefined || t < next) next = t; }
      yield { sources: sourcesOut, items, watermark: next ?? WATERMARK_END };
    }
  } finally {
    for (const c of cursors) c.close();
  }
}
