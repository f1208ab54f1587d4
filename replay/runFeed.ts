// What the dashboard shows of a recorded run (`tickflow dashboard RUN_ID`): its output rows per node, the input
// bars and news it processed, its dead letters, counters and declaration, read from the recording in the order
// the run emitted them. The caller feeds them into a LiveFeed (ops/liveFeed.ts) and serves the page.
import type { Database } from "../io/duckdb/database.ts";
import { KINDS, type Kind, type SourceKind } from "../schemas/kinds.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import { DeadLetterMessage, type DeadLetter } from "../schemas/deadLetter.ts";
import { outputTableName, runInputMatchSql, runInputsHaveTime } from "../sinks/recordingTables.ts";
import { recordedModelInstalls } from "./runs.ts";
import { TickflowError } from "../core/errors.ts";

/** The recording has no run of that id; the message lists the latest runs it has. */
export class UnknownRunError extends TickflowError {
  static override readonly code = "RUN_NOT_FOUND";
  override readonly name = "UnknownRunError";
}

export interface RunFeedData {
  readonly runId: string;
  readonly pipeline: string;
  readonly mode: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly counters: {
    readonly inputs: number | null;
    readonly deadLetters: number | null;
    readonly late: number | null;
    readonly outputs: Record<string, number>;
  };
  /** The pipeline declaration as the run's `config.start` audit entry recorded it (live runs); undefined otherwise. */
  readonly declaration?: unknown;
  /** Input items per source kind, in event-time order (bars and news only: what the dashboard charts and lists). */
  readonly inputs: readonly { readonly kind: SourceKind; readonly items: readonly unknown[] }[];
  /** Output items per node, in emission order. */
  readonly outputs: readonly { readonly node: string; readonly kind: Kind; readonly items: readonly unknown[] }[];
  readonly deadLetters: readonly DeadLetter[];
  /** Event time of the run's last output (ns), when it had one. */
  readonly lastEventNs?: bigint;
  /** Predict nodes: the model each served last. */
  readonly models: Record<string, string>;
}

export interface RunFeedLimits {
  /** Rows read per node (the newest), except equity: the drawdown needs every snapshot. Default 5000. */
  readonly rowsPerNode?: number;
  /** Equity snapshots read per node. Default 200000. */
  readonly equityRows?: number;
  /** Input bars read (the newest). Default 20000. */
  readonly bars?: number;
  /** Input news read (the newest). Default 200. */
  readonly news?: number;
}

/** Output kinds the dashboard shows, and the input kinds a node may emit (recorded in out_<table>). */
const OUTPUT_KINDS: readonly Kind[] = ["bar", "features", "signal", "scoredNews", "order", "fill", "position", "equity", "orderEvent"];

const selectList = (type: AnyMessageType, alias = ""): string =>
  type.columns.map((c) => (c.type === "TIMESTAMP_NS" ? `epoch_ns(${alias}"${c.name}") AS "${c.name}"` : `${alias}"${c.name}"`)).join(", ");

const decode = (type: AnyMessageType, r: Record<string, unknown>): unknown => type.fromRow(type.columns.map((c) => r[c.name]));

async function tables(db: Database): Promise<Set<string>> {
  return new Set((await db.query<{ t: string }>("SELECT table_name t FROM information_schema.tables")).map((x) => x.t));
}

/** Loads run `runId`; throws UnknownRunError when the recording has no such run. */
export async function loadRunFeed(db: Database, runId: string, limits: RunFeedLimits = {}): Promise<RunFeedData> {
  const have = await tables(db);
  const [run] = have.has("runs")
    ? await db.query<{
        pipeline: string;
        mode: string;
        status: string;
        started_at: unknown;
        finished_at: unknown;
        inputs: bigint | null;
        dead_letters: bigint | null;
        late: bigint | null;
      }>(
        `SELECT pipeline, mode, status, CAST(started_at AS VARCHAR) started_at, CAST(finished_at AS VARCHAR) finished_at, inputs, dead_letters, late FROM runs WHERE run_id = $1`,
        [runId],
      )
    : [];
  if (!run) {
    const known = have.has("runs") ? await db.query<{ run_id: string }>(`SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 10`) : [];
    throw new UnknownRunError(
      `no run ${runId} in ${db.path}; ${known.length ? `the latest runs: ${known.map((k) => k.run_id).join(", ")} (tickflow sql "SELECT run_id, pipeline, status FROM runs")` : "it records no runs yet: start one with tickflow run or tickflow replay"}`,
    );
  }
  const rowsPerNode = limits.rowsPerNode ?? 5000;
  const outputs: { node: string; kind: Kind; items: unknown[] }[] = [];
  const counts: Record<string, number> = {};
  let lastEventNs: bigint | undefined;
  for (const kind of OUTPUT_KINDS) {
    const type = KINDS[kind];
    const table = outputTableName(type);
    if (!have.has(table)) continue;
    const perNode = await db.query<{ node: string; n: bigint }>(`SELECT node, count(*) n FROM "${table}" WHERE run_id = $1 GROUP BY node ORDER BY node`, [
      runId,
    ]);
    for (const { node, n } of perNode) {
      counts[node] = Number(n);
      const limit = kind === "equity" ? (limits.equityRows ?? 200_000) : rowsPerNode;
      const rows = await db.query<Record<string, unknown>>(
        `SELECT * FROM (SELECT out_seq, ${selectList(type)} FROM "${table}" WHERE run_id = $1 AND node = $2 ORDER BY out_seq DESC LIMIT ${limit}) ORDER BY out_seq`,
        [runId, node],
      );
      const items = rows.map((r) => decode(type, r));
      for (const it of items) {
        const ts = (it as { tsEvent: bigint }).tsEvent;
        if (lastEventNs === undefined || ts > lastEventNs) lastEventNs = ts;
      }
      outputs.push({ node, kind, items });
    }
  }
  const symbols = [...new Set(outputs.flatMap((o) => o.items.map((i) => (i as { symbol?: string }).symbol).filter((s): s is string => typeof s === "string")))];
  const firstEventNs = outputs.reduce<bigint | undefined>((min, o) => {
    const ts = (o.items[0] as { tsEvent?: bigint } | undefined)?.tsEvent;
    return ts !== undefined && (min === undefined || ts < min) ? ts : min;
  }, undefined);
  const inputs: { kind: SourceKind; items: unknown[] }[] = [];
  const ranInputs = have.has("run_inputs")
    ? new Set((await db.query<{ t: string }>(`SELECT DISTINCT input_table t FROM run_inputs WHERE run_id = $1`, [runId])).map((r) => r.t))
    : new Set<string>();
  const timed = ranInputs.size > 0 && (await runInputsHaveTime(db));
  for (const [kind, limit] of [
    ["bar", limits.bars ?? 20_000],
    ["news", limits.news ?? 200],
  ] as const) {
    const type = KINDS[kind];
    if (!have.has(type.table)) continue;
    let rows: Record<string, unknown>[];
    if (ranInputs.has(type.table)) {
      // A live run lists the inputs it processed.
      rows = await db.query(
        `SELECT * FROM (SELECT ${selectList(type, "x.")} FROM "${type.table}" x JOIN run_inputs ri ON ri.run_id = $1 AND ri.input_table = '${type.table}' AND ${runInputMatchSql(type.table, "x", "ri", timed)} ORDER BY x.ts_event DESC LIMIT ${limit}) ORDER BY ts_event`,
        [runId],
      );
    } else if (firstEventNs !== undefined && lastEventNs !== undefined && (kind === "news" || symbols.length > 0)) {
      // A replay: the inputs over the span of its outputs (bars of the symbols it emitted something for).
      const bySymbol = kind === "bar" ? ` AND symbol IN (${symbols.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")})` : "";
      rows = await db.query(
        `SELECT * FROM (SELECT ${selectList(type)} FROM "${type.table}" WHERE ts_event BETWEEN make_timestamp_ns(${firstEventNs}) AND make_timestamp_ns(${lastEventNs})${bySymbol} ORDER BY ts_event DESC LIMIT ${limit}) ORDER BY ts_event`,
      );
    } else continue;
    inputs.push({ kind, items: rows.map((r) => decode(type, r)) });
  }
  const deadLetters = have.has("dead_letters")
    ? (
        await db.query<Record<string, unknown>>(
          `SELECT * FROM (SELECT out_seq, ${selectList(DeadLetterMessage)} FROM dead_letters WHERE run_id = $1 ORDER BY out_seq DESC LIMIT 100) ORDER BY out_seq`,
          [runId],
        )
      ).map((r) => decode(DeadLetterMessage, r) as DeadLetter)
    : [];
  let declaration: unknown;
  if (have.has("audit_log")) {
    const [a] = await db.query<{ details: string }>(`SELECT details FROM audit_log WHERE action = 'config.start' AND subject = $1 ORDER BY seq DESC LIMIT 1`, [
      runId,
    ]);
    if (a) declaration = (JSON.parse(a.details) as { pipeline?: unknown }).pipeline;
  }
  const models: Record<string, string> = {};
  for (const m of await recordedModelInstalls(db, runId)) models[m.node] = `${m.modelId} v${m.version}`;
  return {
    runId,
    pipeline: run.pipeline,
    mode: run.mode,
    status: run.status,
    startedAt: run.started_at === null ? null : String(run.started_at),
    finishedAt: run.finished_at === null ? null : String(run.finished_at),
    counters: {
      inputs: run.inputs === null ? null : Number(run.inputs),
      deadLetters: run.dead_letters === null ? null : Number(run.dead_letters),
      late: run.late === null ? null : Number(run.late),
      outputs: counts,
    },
    declaration,
    inputs,
    outputs,
    deadLetters,
    lastEventNs,
    models,
  };
}
