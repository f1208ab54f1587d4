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
import { nsToIso } from "../schemas/time.ts";
import { Portfolio, type ClosedTrade } from "../trading/Portfolio.ts";
import { InstrumentSchema, type Instrument, type InstrumentInput } from "../trading/instrument.ts";
import { backtestStats, equityCurve, periodsPerYear, type BacktestStats, type EquityPoint } from "../trading/stats.ts";

/** What a trading run produced, in emission order. */
export interface TradingRecord {
  readonly equity: EquitySnapshot[];
  readonly fills: Fill[];
  readonly positions: PositionSnapshot[];
  readonly orders: Order[];
}

export const emptyRecord = (): TradingRecord => ({ equity: [], fills: [], positions: [], orders: [] });

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
              : undefined;
    if (into) for (const x of items) (into as unknown[]).push(x);
  }
}

/** The pipeline's output nodes a TradingCollector should read. */
export function tradingOutputs(p: CompiledPipeline): string[] {
  return p.outputs.filter((o) => ["equity", "fill", "position", "order"].includes(p.kindOf(o)));
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
}

/** Reads the market context of a run's symbols over [fromTs, toTs] (bar end times) from the recorded bars. */
export async function marketContext(db: Database, symbols: readonly string[], fromTs: bigint, toTs: bigint): Promise<MarketContext> {
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
  return { buyAndHold: rows.map((r) => ({ symbol: r.symbol, first: r.first, last: r.last })), startTs, timeframe: rows[0]!.timeframe };
}

export interface BacktestSummary {
  readonly stats: BacktestStats;
  readonly curve: EquityPoint[];
  readonly trades: ClosedTrade[];
  readonly timeframe: string;
  readonly riskFreeRate: number;
}

/** Statistics of a run; undefined when it has fewer than one equity snapshot. */
export function summarizeBacktest(
  rec: TradingRecord,
  market: MarketContext,
  opts: { instruments?: readonly InstrumentInput[]; riskFreeRate?: number } = {},
): BacktestSummary | undefined {
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
  const stats = backtestStats({ equity: curve, trades, periodsPerYear: ppy, riskFreeRate, buyAndHold: market.buyAndHold });
  return { stats, curve, trades, timeframe, riskFreeRate };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : String(x));
const num = (x: number, d = 2): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : String(x));
const DAY = 86_400_000_000_000n;

/** The statistics as label/value rows (shared by the replay table and the HTML report). */
export function statsRows(s: BacktestSummary): [string, string][] {
  const t = s.stats;
  const ddDays = Number(t.maxDrawdownDurationNs / (DAY / 1000n)) / 1000;
  return [
    ["period", `${nsToIso(s.curve[0]!.tsEvent).slice(0, 10)} → ${nsToIso(s.curve.at(-1)!.tsEvent).slice(0, 10)} (${t.periods} × ${s.timeframe})`],
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
    ["trades", String(t.trades)],
    ["win rate", pct(t.winRate)],
    ["best / worst trade", `${num(t.bestTrade)} / ${num(t.worstTrade)}`],
    ["average trade", `${num(t.averageTrade)} (${pct(t.averageTradeReturn)})`],
    ["profit factor", num(t.profitFactor)],
    ["expectancy", num(t.expectancy)],
    ["SQN", num(t.sqn)],
    ["exposure", pct(t.exposure)],
    ["buy and hold", pct(t.buyAndHoldReturn)],
  ];
}

/** A two-column text table, for the end of `tickflow replay`. */
export function formatStatsTable(s: BacktestSummary): string {
  const rows = statsRows(s);
  const w = Math.max(...rows.map((r) => r[0].length));
  return ["backtest statistics (formulas: docs/trading.md)", ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join("\n");
}

/** Everything `tickflow replay` needs: symbols and time span of the collected run, market context, summary. */
export async function summarizeCollected(db: Database, p: CompiledPipeline, rec: TradingRecord): Promise<BacktestSummary | undefined> {
  if (rec.equity.length === 0) return undefined;
  const symbols = [...new Set([...rec.positions.map((x) => x.symbol), ...rec.fills.map((f) => f.symbol)])].sort();
  const market = await marketContext(db, symbols, rec.equity[0]!.tsEvent, rec.equity.at(-1)!.tsEvent);
  return summarizeBacktest(rec, market, { instruments: pipelineInstruments(p) });
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
