// Backtest statistics from an equity curve and the list of round-trip trades. Formulas: docs/trading.md.
// Undefined ratios (no variance, no trades, no drawdown) are NaN, never a made-up 0.
import { timeframeNs } from "../schemas/timeframe.ts";
import type { Bar } from "../schemas/bar.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import type { ClosedTrade } from "./Portfolio.ts";

export interface EquityPoint {
  readonly tsEvent: bigint;
  readonly equity: number;
  /** The account held a position after this event. */
  readonly exposed: boolean;
}

export interface StatsInput {
  /** One point per period (bar), in time order; the first point is the starting equity. */
  readonly equity: readonly EquityPoint[];
  readonly trades: readonly Pick<ClosedTrade, "pnl" | "returnPct">[];
  /** Periods per year, e.g. periodsPerYear("1d") = 252. */
  readonly periodsPerYear: number;
  /** Annual risk-free rate as a fraction (0.02 = 2 %). Default 0. */
  readonly riskFreeRate?: number;
  /** First and last price of each traded instrument over the same span, for the buy-and-hold comparison. */
  readonly buyAndHold?: readonly { readonly symbol: string; readonly first: number; readonly last: number }[];
  /** Benchmark values aligned with `equity` (same length), e.g. the traded symbol's closes, for alpha and beta. */
  readonly benchmark?: readonly number[];
}

export interface DrawdownEpisode {
  readonly peakTs: bigint;
  readonly troughTs: bigint;
  /** Time of the new high that ended it; undefined while still under water at the end. */
  readonly recoveryTs: bigint | undefined;
  /** Fraction below the peak at the trough, e.g. 0.12. */
  readonly depth: number;
  /** Periods from the peak to the recovery (or to the last point). */
  readonly periods: number;
  readonly durationNs: bigint;
}

export interface BacktestStats {
  readonly periods: number;
  readonly startEquity: number;
  readonly endEquity: number;
  readonly totalReturn: number;
  readonly annualReturn: number;
  readonly cagr: number;
  readonly volatility: number;
  readonly sharpe: number;
  readonly sortino: number;
  readonly calmar: number;
  readonly maxDrawdown: number;
  readonly maxDrawdownPeriods: number;
  readonly maxDrawdownDurationNs: bigint;
  readonly averageDrawdown: number;
  /** Mean duration of the drawdown episodes (0 without any). */
  readonly averageDrawdownDurationNs: bigint;
  readonly drawdowns: readonly DrawdownEpisode[];
  readonly trades: number;
  readonly winRate: number;
  readonly bestTrade: number;
  readonly worstTrade: number;
  readonly averageTrade: number;
  readonly averageTradeReturn: number;
  readonly profitFactor: number;
  readonly expectancy: number;
  /** SQN with the sample standard deviation of trade P&L (n − 1). */
  readonly sqn: number;
  /** SQN with the population standard deviation (n), as backtrader's SQN analyzer. */
  readonly sqnPopulation: number;
  /** Kelly fraction: W − (1 − W) / (mean win / mean loss). */
  readonly kelly: number;
  /** Annualised Jensen alpha against the benchmark: (mean(r) − r_f − β (mean(m) − r_f)) · P. */
  readonly alpha: number;
  /** Sample covariance of bar returns with the benchmark's over the benchmark's variance. */
  readonly beta: number;
  readonly exposure: number;
  readonly buyAndHoldReturn: number;
}

const DAY_NS = 86_400_000_000_000n;

/**
 * Annualisation factor for a bar timeframe: daily and longer bars count trading days (252 a year);
 * intraday bars count `hoursPerDay` trading hours per trading day (6.5 for US equities, 24 for crypto/FX).
 */
export function periodsPerYear(timeframe: string, opts: { tradingDaysPerYear?: number; hoursPerDay?: number } = {}): number {
  const days = opts.tradingDaysPerYear ?? 252;
  const ns = timeframeNs(timeframe);
  if (ns >= DAY_NS) return days / (Number(ns) / Number(DAY_NS));
  return (days * (opts.hoursPerDay ?? 6.5) * 3600e9) / Number(ns);
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
/** Sample standard deviation (n - 1); `population` divides by n. */
export function stdev(xs: readonly number[], population = false): number {
  if (xs.length < (population ? 1 : 2)) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - (population ? 0 : 1)));
}

/** Beta and annualised alpha of per-period returns `r` against benchmark returns `m`. */
function alphaBeta(r: readonly number[], m: readonly number[], rfPer: number, ppy: number): { alpha: number; beta: number } {
  if (m.length !== r.length || r.length < 2) return { alpha: NaN, beta: NaN };
  const mr = mean(r);
  const mm = mean(m);
  const cov = r.reduce((a, x, i) => a + (x - mr) * (m[i]! - mm), 0) / (r.length - 1);
  const beta = ratio(cov, stdev(m) ** 2);
  return { alpha: (mr - rfPer - beta * (mm - rfPer)) * ppy, beta };
}
const ratio = (a: number, b: number): number => (b === 0 || !Number.isFinite(b) ? NaN : a / b);

export function drawdownEpisodes(points: readonly EquityPoint[]): DrawdownEpisode[] {
  const out: DrawdownEpisode[] = [];
  let peakIdx = 0;
  let troughIdx = 0;
  let depth = 0;
  const close = (endIdx: number, recovered: boolean): void => {
    if (depth <= 0) return;
    out.push({
      peakTs: points[peakIdx]!.tsEvent,
      troughTs: points[troughIdx]!.tsEvent,
      recoveryTs: recovered ? points[endIdx]!.tsEvent : undefined,
      depth,
      periods: endIdx - peakIdx,
      durationNs: points[endIdx]!.tsEvent - points[peakIdx]!.tsEvent,
    });
  };
  for (let i = 1; i < points.length; i++) {
    const e = points[i]!.equity;
    const peak = points[peakIdx]!.equity;
    if (e >= peak) {
      close(i, true);
      peakIdx = i;
      troughIdx = i;
      depth = 0;
    } else {
      const d = 1 - e / peak;
      if (d > depth) {
        depth = d;
        troughIdx = i;
      }
    }
  }
  if (points.length > 0) close(points.length - 1, false);
  return out;
}

export function backtestStats(input: StatsInput): BacktestStats {
  const pts = input.equity;
  if (pts.length < 2) throw new Error(`backtestStats needs at least 2 equity points, got ${pts.length}`);
  const ppy = input.periodsPerYear;
  const n = pts.length - 1;
  const returns: number[] = [];
  for (let i = 1; i < pts.length; i++) returns.push(pts[i]!.equity / pts[i - 1]!.equity - 1);
  const e0 = pts[0]!.equity;
  const eN = pts[n]!.equity;
  const rfPer = (1 + (input.riskFreeRate ?? 0)) ** (1 / ppy) - 1;
  const excess = mean(returns) - rfPer;
  const sd = stdev(returns);
  const downside = Math.sqrt(returns.reduce((a, r) => a + Math.min(0, r - rfPer) ** 2, 0) / n);
  const cagr = (eN / e0) ** (ppy / n) - 1;
  const dds = drawdownEpisodes(pts);
  const maxDd = dds.reduce((m, d) => Math.max(m, d.depth), 0);
  const longest = dds.reduce<DrawdownEpisode | undefined>((m, d) => (m === undefined || d.periods > m.periods ? d : m), undefined);

  const pnl = input.trades.map((t) => t.pnl);
  const wins = pnl.filter((p) => p > 0);
  const grossWin = wins.reduce((a, b) => a + b, 0);
  const grossLoss = -pnl.filter((p) => p < 0).reduce((a, b) => a + b, 0);
  const bh = input.buyAndHold ?? [];
  const bm = input.benchmark ?? [];
  const benchReturns = bm.length === pts.length ? bm.slice(1).map((b, i) => b / bm[i]! - 1) : [];
  const { alpha, beta } = alphaBeta(returns, benchReturns, rfPer, ppy);
  const losses = pnl.filter((p) => p < 0);
  const winRate = pnl.length === 0 ? NaN : wins.length / pnl.length;

  return {
    periods: n,
    startEquity: e0,
    endEquity: eN,
    totalReturn: eN / e0 - 1,
    annualReturn: mean(returns) * ppy,
    cagr,
    volatility: sd * Math.sqrt(ppy),
    sharpe: ratio(excess, sd) * Math.sqrt(ppy),
    sortino: ratio(excess, downside) * Math.sqrt(ppy),
    calmar: ratio(cagr, maxDd),
    maxDrawdown: maxDd,
    maxDrawdownPeriods: longest?.periods ?? 0,
    maxDrawdownDurationNs: longest?.durationNs ?? 0n,
    averageDrawdown: dds.length === 0 ? 0 : mean(dds.map((d) => d.depth)),
    averageDrawdownDurationNs: dds.length === 0 ? 0n : dds.reduce((a, d) => a + d.durationNs, 0n) / BigInt(dds.length),
    drawdowns: dds,
    trades: pnl.length,
    winRate,
    bestTrade: pnl.length === 0 ? NaN : Math.max(...pnl),
    worstTrade: pnl.length === 0 ? NaN : Math.min(...pnl),
    averageTrade: mean(pnl),
    averageTradeReturn: mean(input.trades.map((t) => t.returnPct)),
    profitFactor: pnl.length === 0 ? NaN : grossLoss === 0 ? Infinity : grossWin / grossLoss,
    expectancy: mean(pnl),
    sqn: ratio(mean(pnl), stdev(pnl)) * Math.sqrt(pnl.length),
    sqnPopulation: ratio(mean(pnl), stdev(pnl, true)) * Math.sqrt(pnl.length),
    kelly: winRate - (1 - winRate) / ratio(mean(wins), -mean(losses)),
    alpha,
    beta,
    exposure: pts.slice(1).filter((p) => p.exposed).length / n,
    buyAndHoldReturn: bh.length === 0 ? NaN : mean(bh.map((b) => b.last / b.first - 1)),
  };
}

/**
 * The equity curve from a broker's events: the last equity snapshot of each event time (several symbols'
 * bars at one time give one point), preceded by the starting equity at `start`.
 */
export function equityCurve(events: readonly BrokerEvent[], startingEquity: number, start: bigint): EquityPoint[] {
  const out: EquityPoint[] = [{ tsEvent: start, equity: startingEquity, exposed: false }];
  for (const e of events) {
    if (e.type !== "equity") continue;
    const p = { tsEvent: e.equity.tsEvent, equity: e.equity.equity, exposed: e.equity.grossExposure > 0 };
    if (out.length > 1 && out[out.length - 1]!.tsEvent === p.tsEvent) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/** First open and last close per symbol of the bars the backtest saw. */
export function buyAndHoldOf(bars: readonly Bar[]): { symbol: string; first: number; last: number }[] {
  const m = new Map<string, { symbol: string; first: number; last: number }>();
  for (const b of bars) {
    const x = m.get(b.symbol);
    if (x) x.last = b.close;
    else m.set(b.symbol, { symbol: b.symbol, first: b.open, last: b.close });
  }
  return [...m.values()];
}
