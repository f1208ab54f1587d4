// Backtest statistics of a trading run: collected from a run's equity/fill outputs (in memory, while replaying)
// or loaded from the recording (for `tickflow report`), turned into trading/stats.ts numbers and a text table.
import type { OutputPort } from "../runtime/ports.ts";
import type { BoundOutput } from "../runtime/runDriver.ts";
import type { Kind } from "../schemas/kinds.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { Database } from "../io/duckdb/database.ts";
import type { Fill } from "../schemas/fill.ts";
import type { EquitySnapshot, PositionSnapshot } from "../schemas/position.ts";
import type { Order } from "../schemas/order.ts";
import type { OrderEvent } from "../schemas/orderEvent.ts";
import { sessionDate, sessionTimeNs } from "../schemas/time.ts";
import { timeframeNs } from "../schemas/timeframe.ts";
import { conventionStats, type ConventionFigure, type StatsConvention } from "../trading/statsConventions.ts";
import { Portfolio, type ClosedTrade } from "../trading/Portfolio.ts";
import { InstrumentSchema, type Instrument, type InstrumentInput } from "../trading/instrument.ts";
import { backtestStats, equityCurve, periodsPerYear, type BacktestStats, type EquityPoint } from "../trading/stats.ts";

/** What a trading run produced, in emission order. */
export interface TradingRecord {
  readonly equity: EquitySnapshot[];
  readonly fills: Fill[];
  readonly positions: PositionSnapshot[];
  readonly orders: Order[];
  /** Kill-switch events (trip, reset); empty when the pipeline does not output them. */
  readonly orderEvents?: OrderEvent[];
}

export const emptyRecord = (): Required<TradingRecord> => ({ equity: [], fills: [], positions: [], orders: [], orderEvents: [] });

/** An output sink that keeps a run's trading outputs in memory (for the statistics at the end of a replay). */
export class TradingCollector implements OutputPort {
  readonly name = "backtest";
  readonly stage = "observe";
  readonly record = emptyRecord();
  async write(_node: string, kind: Kind, items: readonly unknown[]): Promise<void> {
    const into =
      kind === "equity"
        ? this.record.equity
        : kind === "fill"
          ? this.record.fills
          : kind === "position"
            ? this.record.positions
            : kind === "order"
              ? this.record.orders
              : kind === "orderEvent"
                ? this.record.orderEvents
                : undefined;
    if (into) for (const x of items) (into as unknown[]).push(x);
  }
}

/** The pipeline's output nodes a TradingCollector should read. */
export function tradingOutputs(p: CompiledPipeline): string[] {
  return p.outputs.filter((o) => ["equity", "fill", "position", "order", "orderEvent"].includes(p.kindOf(o)));
}

/** Instruments declared on the pipeline's broker nodes (multipliers matter for round-trip returns). */
import { pipelineInstruments } from "./runs.ts";
export { pipelineInstruments };

/** Round-trip trades rebuilt from fills by the same Portfolio the broker books them with. */
export function tradesFromFills(fills: readonly Fill[], instruments: readonly InstrumentInput[] = []): ClosedTrade[] {
  const known = new Map(instruments.map((i) => [i.symbol, InstrumentSchema.parse(i)]));
  const instrumentOf = (s: string): Instrument => known.get(s) ?? InstrumentSchema.parse({ symbol: s });
  const p = new Portfolio("replay", 0, instrumentOf);
  for (const f of fills) p.applyFill(f);
  return [...p.closedTrades];
}

/** Starting cash implied by any equity snapshot: equity = start + realized + unrealized − commission. */
export const startingEquityOf = (e: EquitySnapshot): number => e.equity - e.realizedPnl - e.unrealizedPnl + e.commission;

/** The market around a run: first open / last close per instrument, first bar start, and the bar timeframe. */
export interface MarketContext {
  readonly buyAndHold: { symbol: string; first: number; last: number }[];
  readonly startTs?: bigint;
  readonly timeframe?: string;
  /** Benchmark closes by bar end time (ascending): the equal-weight buy and hold index of the symbols, or the benchmark symbol's closes. */
  readonly closes?: readonly { readonly ts: bigint; readonly value: number }[];
}

/** Reads the market context of a run's symbols over [fromTs, toTs] (bar end times) from the recorded bars. */
export async function marketContext(
  db: Database,
  symbols: readonly string[],
  fromTs: bigint,
  toTs: bigint,
  opts: { benchmark?: string } = {},
): Promise<MarketContext> {
  const have = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'bars'`);
  if (have[0]!.n === 0n || symbols.length === 0) return { buyAndHold: [] };
  const list = symbols.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ");
  const rows = await db.query<{ symbol: string; first: number; last: number; start: bigint; timeframe: string }>(
    `SELECT symbol, arg_min(open, ts_event) AS first, arg_max(close, ts_event) AS last, epoch_ns(min(ts_open)) AS start, mode(timeframe) AS timeframe
       FROM bars WHERE symbol IN (${list}) AND ts_event BETWEEN make_timestamp_ns(${fromTs}) AND make_timestamp_ns(${toTs})
      GROUP BY symbol ORDER BY symbol`,
  );
  if (rows.length === 0) return { buyAndHold: [] };
  const startTs = rows.reduce((m, r) => (r.start < m ? r.start : m), rows[0]!.start);
  const timeframe = rows[0]!.timeframe;
  const benchSymbols = opts.benchmark ? [opts.benchmark] : symbols;
  const closeRows = await db.query<{ symbol: string; ts: bigint; close: number }>(
    `SELECT symbol, epoch_ns(ts_event) AS ts, close FROM bars WHERE symbol IN (${benchSymbols.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")})
       AND timeframe = $1 AND ts_event BETWEEN make_timestamp_ns(${fromTs}) AND make_timestamp_ns(${toTs}) ORDER BY ts_event, symbol`,
    [timeframe],
  );
  return { buyAndHold: rows.map((r) => ({ symbol: r.symbol, first: r.first, last: r.last })), startTs, timeframe, closes: equalWeight(closeRows) };
}

/** Equal-weight buy and hold index (mean of close / first close) at each bar time, each symbol carried forward. */
function equalWeight(rows: readonly { symbol: string; ts: bigint; close: number }[]): { ts: bigint; value: number }[] {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const out: { ts: bigint; value: number }[] = [];
  for (const r of rows) {
    if (!first.has(r.symbol)) first.set(r.symbol, r.close);
    last.set(r.symbol, r.close / first.get(r.symbol)!);
    const value = [...last.values()].reduce((a, b) => a + b, 0) / last.size;
    if (out.at(-1)?.ts === r.ts) out[out.length - 1] = { ts: r.ts, value };
    else out.push({ ts: r.ts, value });
  }
  return out;
}

/** The benchmark value at each curve point: the last close at or before it (the first close before the first bar). */
export function benchmarkAt(curve: readonly EquityPoint[], closes: readonly { ts: bigint; value: number }[]): number[] | undefined {
  if (closes.length === 0) return undefined;
  let k = 0;
  return curve.map((p) => {
    while (k + 1 < closes.length && closes[k + 1]!.ts <= p.tsEvent) k++;
    return closes[k]!.value;
  });
}

/** What a run's risk controls did: kill-switch trips and rejected orders (shown first in the table and the report). */
export interface RunFlags {
  readonly killSwitch: { readonly count: number; readonly first?: { readonly tsEvent: bigint; readonly reason: string } };
  readonly rejected: { readonly count: number; readonly topReasons: readonly { readonly reason: string; readonly count: number }[] };
}

export function runFlags(rec: TradingRecord): RunFlags {
  const trips = (rec.orderEvents ?? []).filter((e) => e.kind === "kill_switch_tripped");
  const rejected = rec.orders.filter((o) => o.status === "rejected");
  const byReason = new Map<string, number>();
  // Reasons carry numbers (equity, limits): group on the text before the first digit so one rule is one line.
  for (const o of rejected) {
    const text = o.reason ?? "no reason given";
    const r = text.split(/[0-9]/)[0]!.replace(/(\s+(since|at|of|by|for|than|to|from))*[\s:(,=$-]*$/, "") || text;
    byReason.set(r, (byReason.get(r) ?? 0) + 1);
  }
  const topReasons = [...byReason]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .slice(0, 3);
  return {
    killSwitch: { count: trips.length, first: trips[0] ? { tsEvent: trips[0].tsEvent, reason: trips[0].reason } : undefined },
    rejected: { count: rejected.length, topReasons },
  };
}

export interface BacktestSummary {
  readonly stats: BacktestStats;
  readonly curve: EquityPoint[];
  readonly trades: ClosedTrade[];
  readonly timeframe: string;
  readonly riskFreeRate: number;
  readonly convention: StatsConvention;
  /** The convention's own figures (undefined for tickflow, whose figures are `stats`). */
  readonly figures?: ConventionFigure[];
  readonly flags: RunFlags;
  /** Benchmark (buy and hold) value at each curve point, scaled to the starting equity. */
  readonly buyAndHoldCurve?: number[];
}

export interface SummaryOptions {
  readonly instruments?: readonly InstrumentInput[];
  readonly riskFreeRate?: number;
  readonly convention?: StatsConvention;
}

/** Statistics of a run; undefined when it has fewer than one equity snapshot. */
export function summarizeBacktest(rec: TradingRecord, market: MarketContext, opts: SummaryOptions = {}): BacktestSummary | undefined {
  const first = rec.equity[0];
  if (!first) return undefined;
  const startTs = market.startTs !== undefined && market.startTs < first.tsEvent ? market.startTs : first.tsEvent - 1n;
  const curve = equityCurve(
    rec.equity.map((equity) => ({ type: "equity" as const, equity })),
    startingEquityOf(first),
    startTs,
  );
  const trades = tradesFromFills(rec.fills, opts.instruments);
  const timeframe = market.timeframe ?? "1d";
  const riskFreeRate = opts.riskFreeRate ?? 0;
  // Statistics assume one equity point per bar. A run that snapshots only on fills has far fewer points: annualise
  // by elapsed time then (points per year actually observed), or CAGR and Sharpe come out inflated.
  const nominal = periodsPerYear(timeframe);
  const years = Number(curve[curve.length - 1]!.tsEvent - curve[0]!.tsEvent) / (365.25 * 86_400e9);
  const n = curve.length - 1;
  const ppy = years > 0 && n < 0.8 * nominal * years ? n / years : nominal;
  const benchmark = benchmarkAt(curve, market.closes ?? []);
  const stats = backtestStats({ equity: curve, trades, periodsPerYear: ppy, riskFreeRate, buyAndHold: market.buyAndHold, benchmark });
  const convention = opts.convention ?? "tickflow";
  const barNs = timeframeNs(timeframe);
  // The other libraries see one equity value per bar, stamped with the bar's session date: drop the start point.
  const figures =
    convention === "tickflow" || !benchmark
      ? undefined
      : conventionStats(convention, {
          equity: curve.slice(1).map((p) => ({ tsEvent: sessionTimeNs(p.tsEvent, barNs), equity: p.equity })),
          trades: trades.map((t) => ({ ...t, entryTs: sessionTimeNs(t.entryTs, barNs), exitTs: sessionTimeNs(t.exitTs, barNs) })),
          closes: benchmark.slice(1),
          riskFreeRate: opts.riskFreeRate,
          fills: rec.fills.map((f) => ({ ...f, multiplier: opts.instruments?.find((i) => i.symbol === f.symbol)?.multiplier })),
          openTrades: openPositions(rec.positions),
        });
  const buyAndHoldCurve = benchmark?.map((b) => (curve[0]!.equity * b) / benchmark[0]!);
  return { stats, curve, trades, timeframe, riskFreeRate, convention, figures, flags: runFlags(rec), buyAndHoldCurve };
}

/** Symbols with a non-zero position in their last snapshot. */
function openPositions(ps: readonly PositionSnapshot[]): number {
  const last = new Map<string, number>();
  for (const p of ps) last.set(p.symbol, p.qty);
  return [...last.values()].filter((q) => q !== 0).length;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : String(x));
const num = (x: number, d = 2): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : String(x));
const DAY = 86_400_000_000_000n;

const days = (ns: bigint): number => Number(ns / (DAY / 1000n)) / 1000;

/** The kill-switch and rejection lines (empty when neither happened). */
export function flagRows(f: RunFlags, barNs?: bigint): [string, string][] {
  const out: [string, string][] = [];
  if (f.killSwitch.count > 0)
    out.push(["KILL SWITCH TRIPPED", `${f.killSwitch.count}× ; first ${shownTime(f.killSwitch.first!.tsEvent, barNs)}: ${f.killSwitch.first!.reason}`]);
  if (f.rejected.count > 0) out.push(["REJECTED ORDERS", `${f.rejected.count} (${f.rejected.topReasons.map((r) => `${r.count}× ${r.reason}`).join("; ")})`]);
  return out;
}
/** A time as shown: the session date on daily-or-longer bars, else date and time (UTC). */
const shownTime = (ns: bigint, barNs?: bigint): string =>
  barNs !== undefined && barNs >= DAY ? sessionDate(ns, barNs) : new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19).replace("T", " ");

function figureValue(f: ConventionFigure): string {
  if (typeof f.value === "bigint") return `${num(days(f.value), 2)} days`;
  if (!Number.isFinite(f.value)) return String(f.value);
  if (f.unit === "count" || f.unit === "bars") return String(f.value);
  return num(f.value, f.unit === "money" || f.unit === "pct" ? 2 : 4);
}

/** The period line: session dates of the first and last bar (a daily bar's date is the day it traded, not its end). */
export function periodRow(s: BacktestSummary): [string, string] {
  const barNs = timeframeNs(s.timeframe);
  const first = s.curve[1] ?? s.curve[0]!;
  return ["period", `${sessionDate(first.tsEvent, barNs)} → ${sessionDate(s.curve.at(-1)!.tsEvent, barNs)} (${s.stats.periods} × ${s.timeframe})`];
}

/** The statistics as label/value rows (shared by the replay table and the HTML report): flags first, then the convention's figures. */
export function statsRows(s: BacktestSummary): [string, string][] {
  const flags = flagRows(s.flags, timeframeNs(s.timeframe));
  if (s.figures) return [...flags, periodRow(s), ...s.figures.map((f): [string, string] => [f.label, figureValue(f)])];
  const t = s.stats;
  const ddDays = days(t.maxDrawdownDurationNs);
  return [
    ...flags,
    periodRow(s),
    ["start / end equity", `${num(t.startEquity)} → ${num(t.endEquity)}`],
    ["total return", pct(t.totalReturn)],
    ["annual return (arith.)", pct(t.annualReturn)],
    ["CAGR", pct(t.cagr)],
    ["volatility (ann.)", pct(t.volatility)],
    [`Sharpe (rf ${pct(s.riskFreeRate)})`, num(t.sharpe)],
    ["Sortino", num(t.sortino)],
    ["Calmar", num(t.calmar)],
    ["max drawdown", pct(t.maxDrawdown)],
    ["longest drawdown", `${t.maxDrawdownPeriods} bars (${num(ddDays, 1)} days)`],
    ["average drawdown", pct(t.averageDrawdown)],
    ["average drawdown duration", `${num(days(t.averageDrawdownDurationNs), 1)} days`],
    ["trades", String(t.trades)],
    ["win rate", pct(t.winRate)],
    ["best / worst trade", `${num(t.bestTrade)} / ${num(t.worstTrade)}`],
    ["average trade", `${num(t.averageTrade)} (${pct(t.averageTradeReturn)})`],
    ["profit factor", num(t.profitFactor)],
    ["expectancy", num(t.expectancy)],
    ["SQN (sample stdev)", num(t.sqn)],
    ["SQN (population stdev)", num(t.sqnPopulation)],
    ["Kelly", num(t.kelly, 4)],
    ["alpha (ann.) / beta vs buy and hold", `${pct(t.alpha)} / ${num(t.beta, 3)}`],
    ["exposure", pct(t.exposure)],
    ["buy and hold", pct(t.buyAndHoldReturn)],
  ];
}

/** A two-column text table, for the end of `tickflow replay`. */
export function formatStatsTable(s: BacktestSummary): string {
  const rows = statsRows(s);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [`backtest statistics, ${s.convention} convention (formulas: docs/statistics.md)`, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join("\n");
}

/** Everything `tickflow replay` needs: symbols and time span of the collected run, market context, summary. */
export async function summarizeCollected(db: Database, p: CompiledPipeline, rec: TradingRecord): Promise<BacktestSummary | undefined> {
  if (rec.equity.length === 0) return undefined;
  const symbols = [...new Set([...rec.positions.map((x) => x.symbol), ...rec.fills.map((f) => f.symbol)])].sort();
  const st = p.decl.stats;
  const market = await marketContext(db, symbols, rec.equity[0]!.tsEvent, rec.equity.at(-1)!.tsEvent, { benchmark: st?.benchmark });
  return summarizeBacktest(rec, market, { instruments: pipelineInstruments(p), convention: st?.convention, riskFreeRate: st?.riskFreeRate });
}

/** The `tickflow replay` hook: extra sinks that collect the trading outputs, and a printer for the table. */
export function backtestHook(p: CompiledPipeline): { sinks: BoundOutput[]; print(db: Database, line: (s: string) => void): Promise<void> } {
  const collector = new TradingCollector();
  return {
    sinks: tradingOutputs(p).map((node) => ({ port: collector, node })),
    async print(db, line) {
      const s = await summarizeCollected(db, p, collector.record);
      if (s) line(formatStatsTable(s));
    },
  };
}
