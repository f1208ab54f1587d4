// `tickflow report`: loads a trading run (equity, positions, fills, orders and the bars it traded on) from the
// recording and computes its statistics; replay/reportHtml.ts turns one or two of these into the HTML page.
import type { Database } from "../io/duckdb/database.ts";
import { runInstruments } from "./runs.ts";
import { BarMessage, type Bar } from "../schemas/bar.ts";
import { FillMessage } from "../schemas/fill.ts";
import { OrderMessage } from "../schemas/order.ts";
import { OrderEventMessage } from "../schemas/orderEvent.ts";
import type { StatsConvention } from "../trading/statsConventions.ts";
import { EquityMessage, PositionMessage } from "../schemas/position.ts";
import { outputTableName } from "../sinks/recordingTables.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import { marketContext, summarizeBacktest, type BacktestSummary, type TradingRecord } from "./backtestSummary.ts";
import { TickflowError } from "../core/errors.ts";

export interface ReportRun {
  readonly runId: string;
  readonly pipeline: string;
  readonly mode: string;
  readonly record: TradingRecord;
  readonly summary: BacktestSummary;
  /** Bars of the traded symbols over the run's span, per symbol, in time order. */
  readonly bars: Readonly<Record<string, Bar[]>>;
  /** The broker nodes' parameters as recorded with the run (strategy, sizing, policy, costs, risk); undefined when not recorded. */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** The run has nothing to report; says what is missing and how to get it. */
export class ReportError extends TickflowError {
  static override readonly code = "REPORT_DATA_MISSING";
  override readonly name = "ReportError";
}

async function tableExists(db: Database, name: string): Promise<boolean> {
  const r = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = '${name}'`);
  return r[0]!.n > 0n;
}

const selectList = (type: AnyMessageType): string =>
  type.columns.map((c) => (c.type === "TIMESTAMP_NS" ? `epoch_ns("${c.name}") AS "${c.name}"` : `"${c.name}"`)).join(", ");

/** A run's rows of one output type, in emission order (all nodes of that type). */
async function outputsOf<T>(db: Database, type: AnyMessageType, runId: string): Promise<T[]> {
  const table = outputTableName(type);
  if (!(await tableExists(db, table))) return [];
  const rows = await db.query<Record<string, unknown>>(`SELECT ${selectList(type)} FROM "${table}" WHERE run_id = $1 ORDER BY node, out_seq`, [runId]);
  return rows.map((r) => type.fromRow(type.columns.map((c) => r[c.name])) as T);
}

async function barsOf(db: Database, symbols: readonly string[], fromTs: bigint, toTs: bigint): Promise<Record<string, Bar[]>> {
  const out: Record<string, Bar[]> = {};
  if (symbols.length === 0 || !(await tableExists(db, "bars"))) return out;
  const list = symbols.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ");
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${selectList(BarMessage)} FROM bars WHERE symbol IN (${list}) AND ts_event BETWEEN make_timestamp_ns(${fromTs}) AND make_timestamp_ns(${toTs}) ORDER BY symbol, ts_open, timeframe`,
  );
  for (const r of rows) {
    const b = BarMessage.fromRow(BarMessage.columns.map((c) => r[c.name])) as Bar;
    const list = (out[b.symbol] ??= []);
    if (list.at(-1)?.tsOpen !== b.tsOpen) list.push(b); // one bar per open time (several timeframes recorded)
  }
  return out;
}

/** Loads a recorded trading run; throws ReportError when it has no equity snapshots. */
/** The broker parameters the run recorded, when its `runs` row kept them (params.brokers or params.pipeline). */
async function runParameters(db: Database, runId: string): Promise<Record<string, unknown> | undefined> {
  if (!(await tableExists(db, "runs"))) return undefined;
  const rows = await db.query<{ params: string | null }>(`SELECT params FROM runs WHERE run_id = $1`, [runId]);
  const params = rows[0]?.params ? (JSON.parse(rows[0].params) as Record<string, unknown>) : {};
  const brokers = params.brokers ?? params.pipeline;
  return brokers && typeof brokers === "object" ? (brokers as Record<string, unknown>) : undefined;
}

/**
 * Loads a recorded trading run; throws ReportError when it has no equity snapshots. `convention` defaults to the
 * one the run's recorded declaration names (params.stats), else tickflow.
 */
export async function loadReportRun(db: Database, runId: string, opts: { riskFreeRate?: number; convention?: StatsConvention } = {}): Promise<ReportRun> {
  const meta = (await tableExists(db, "runs"))
    ? await db.query<{ pipeline: string; mode: string }>(`SELECT pipeline, mode FROM runs WHERE run_id = $1`, [runId])
    : [];
  const equity = await outputsOf<TradingRecord["equity"][number]>(db, EquityMessage, runId);
  if (equity.length === 0) {
    const known = (await tableExists(db, "equity"))
      ? await db.query<{ run_id: string }>(`SELECT DISTINCT run_id FROM equity ORDER BY run_id DESC LIMIT 10`)
      : [];
    throw new ReportError(
      meta.length === 0 && known.length === 0
        ? `no run ${runId}, and no run with equity snapshots in this recording: replay a trading pipeline (e.g. tickflow replay pipelines/sma-crossover.yaml) first`
        : `run ${runId} has no equity snapshots${meta.length ? ` (pipeline ${meta[0]!.pipeline})` : ""}: record an equity node with a duckdb sink. Runs with equity: ${known.map((k) => k.run_id).join(", ") || "none"}`,
    );
  }
  const record: TradingRecord = {
    equity,
    positions: await outputsOf(db, PositionMessage, runId),
    fills: await outputsOf(db, FillMessage, runId),
    orders: await outputsOf(db, OrderMessage, runId),
    orderEvents: await outputsOf(db, OrderEventMessage, runId),
  };
  const symbols = [...new Set([...record.positions.map((p) => p.symbol), ...record.fills.map((f) => f.symbol)])].sort();
  const from = equity[0]!.tsEvent;
  const to = equity.at(-1)!.tsEvent;
  const market = await marketContext(db, symbols, from, to);
  // The run's own instrument specs, so trade P&L uses the same multipliers as the replay that produced it.
  const instruments = (await tableExists(db, "runs")) ? await runInstruments(db, runId) : [];
  const recordedStats = await runStatsDecl(db, runId);
  const summary = summarizeBacktest(record, market, {
    riskFreeRate: opts.riskFreeRate ?? recordedStats?.riskFreeRate,
    instruments,
    convention: opts.convention ?? recordedStats?.convention,
  })!;
  return {
    runId,
    pipeline: meta[0]?.pipeline ?? "?",
    mode: meta[0]?.mode ?? "?",
    record,
    summary,
    bars: await barsOf(db, symbols, from, to),
    parameters: await runParameters(db, runId),
  };
}

/** The `stats` block of the run's recorded declaration (params.stats), when it was recorded. */
async function runStatsDecl(db: Database, runId: string): Promise<{ convention?: StatsConvention; riskFreeRate?: number } | undefined> {
  if (!(await tableExists(db, "runs"))) return undefined;
  const rows = await db.query<{ params: string | null }>(`SELECT params FROM runs WHERE run_id = $1`, [runId]);
  const params = rows[0]?.params ? (JSON.parse(rows[0].params) as { stats?: { convention?: StatsConvention; riskFreeRate?: number } }) : {};
  return params.stats;
}
