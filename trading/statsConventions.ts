// Backtest statistics under another library's definitions, labelled as that library labels them, from the same
// inputs as backtestStats: so a user migrating from backtesting.py or backtrader can compare like with like.
// Formulas (and where each comes from): docs/statistics.md.
import type { ClosedTrade } from "./Portfolio.ts";
import type { EquityPoint } from "./stats.ts";

export const STATS_CONVENTIONS = ["tickflow", "backtesting.py", "backtrader"] as const;
export type StatsConvention = (typeof STATS_CONVENTIONS)[number];

/** One labelled figure; `value` is a number, or a duration in ns (bigint), or NaN when undefined. */
export interface ConventionFigure {
  readonly label: string;
  readonly value: number | bigint;
  /** How to print it: percent already ×100, plain number, integer count, currency, duration, bar count. */
  readonly unit: "pct" | "num" | "count" | "money" | "duration" | "bars";
}

export interface ConventionInput {
  /** One point per bar, stamped with the bar's session time (schemas/time.ts sessionTimeNs); the first is the start. */
  readonly equity: readonly Pick<EquityPoint, "tsEvent" | "equity">[];
  readonly trades: readonly Pick<ClosedTrade, "pnl" | "grossPnl" | "returnPct" | "entryTs" | "exitTs" | "commission">[];
  /** Benchmark closes aligned with `equity` (same length): buy and hold of the traded symbol(s). */
  readonly closes: readonly number[];
  /** Annual risk-free rate as a fraction. backtrader's SharpeRatio uses its own default 0.01 when this is undefined. */
  readonly riskFreeRate?: number;
  /** Fills, for backtrader's broker cash: starting cash − Σ signed notional − commissions. */
  readonly fills?: readonly {
    readonly side: "buy" | "sell";
    readonly qty: number;
    readonly price: number;
    readonly commission: number;
    readonly multiplier?: number;
  }[];
  /** Open positions at the end (backtrader's TradeAnalyzer total.open). */
  readonly openTrades?: number;
}

const DAY_NS = 86_400_000_000_000n;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : sum(xs) / xs.length);
/** Standard deviation with `ddof` (pandas .std() ddof=1, numpy std / backtrader standarddev ddof=0). */
const std = (xs: readonly number[], ddof: number): number => {
  if (xs.length - ddof <= 0) return NaN;
  const m = mean(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - ddof));
};
const orNaN = (x: number): number => (x === 0 || Number.isNaN(x) ? NaN : x);

/** backtesting.py `geometric_mean`: NaN counts as 0, any return ≤ −100 % gives 0. */
export function geometricMean(returns: readonly number[]): number {
  const r = returns.map((x) => (Number.isNaN(x) ? 0 : x) + 1);
  if (r.some((x) => x <= 0)) return 0;
  return Math.exp(sum(r.map(Math.log)) / orNaN(r.length)) - 1;
}

/**
 * backtesting.py's figures (backtesting/_stats.py, compute_stats, v0.6): equity resampled to the last value of each
 * calendar day, annualised over 252 days (365 when more than 60 % of the 2/7 weekend share is present).
 */
export function backtestingPyStats(input: ConventionInput): ConventionFigure[] {
  const ts = input.equity.map((p) => p.tsEvent);
  const eq = input.equity.map((p) => p.equity);
  const n = eq.length;
  const rf = input.riskFreeRate ?? 0;
  // dd = 1 - equity / np.maximum.accumulate(equity)
  let peak = -Infinity;
  const dd = eq.map((e) => {
    peak = Math.max(peak, e);
    return 1 - e / peak;
  });
  // compute_drawdown_duration_peaks: episodes between consecutive zero-drawdown bars (and the last bar).
  const zeros = [...new Set([...dd.flatMap((d, i) => (d === 0 ? [i] : [])), n - 1])].sort((a, b) => a - b);
  const ddDur: bigint[] = [];
  const ddPeaks: number[] = [];
  for (let k = 1; k < zeros.length; k++) {
    const prev = zeros[k - 1]!;
    const i = zeros[k]!;
    if (i <= prev + 1) continue;
    ddDur.push(ts[i]! - ts[prev]!);
    ddPeaks.push(Math.max(...dd.slice(prev, i + 1)));
  }
  const trades = input.trades;
  const pl = trades.map((t) => t.pnl);
  const rets = trades.map((t) => t.returnPct);
  const durations = trades.map((t) => t.exitTs - t.entryTs);
  // have_position[EntryBar:ExitBar + 1] = 1, the entry/exit bar being the first bar stamped at or after the fill.
  const barOf = (t: bigint): number => {
    const i = ts.findIndex((x) => x >= t);
    return i < 0 ? n - 1 : i;
  };
  const have = new Array<number>(n).fill(0);
  for (const t of trades) for (let i = barOf(t.entryTs); i <= barOf(t.exitTs); i++) have[i] = 1;
  const c = input.closes;
  const returnPct = ((eq[n - 1]! - eq[0]!) / eq[0]!) * 100;
  const bhPct = ((c[c.length - 1]! - c[0]!) / c[0]!) * 100;
  // _data_period: median of the last 100 index differences.
  const tail = ts.slice(-101);
  const diffs = tail
    .slice(1)
    .map((t, i) => Number(t - tail[i]!))
    .sort((a, b) => a - b);
  const mid = diffs.length >> 1;
  const period = diffs.length === 0 ? 0 : diffs.length % 2 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
  const freqDays = Math.floor(period / Number(DAY_NS));
  const weekday = (t: bigint): number => new Date(Number(t / 1_000_000n)).getUTCDay(); // 0 Sunday, 6 Saturday
  const haveWeekends = mean(ts.map((t) => (weekday(t) === 0 || weekday(t) === 6 ? 1 : 0))) > (2 / 7) * 0.6;
  const annualDays = freqDays === 7 ? 52 : freqDays === 31 ? 12 : freqDays === 365 ? 1 : haveWeekends ? 365 : 252;
  // equity_df['Equity'].resample('D').last().dropna().pct_change(): the first return is NaN (geometric_mean counts it as 0).
  const bucket = (t: bigint): bigint => (freqDays === 7 ? (t + 4n * DAY_NS) / (7n * DAY_NS) : t / DAY_NS);
  const last = new Map<bigint, number>();
  for (let i = 0; i < n; i++) last.set(bucket(ts[i]!), eq[i]!);
  const daily = [...last.values()];
  const dayReturns = [NaN, ...daily.slice(1).map((e, i) => e / daily[i]! - 1)];
  const gmean = geometricMean(dayReturns);
  const annRet = (1 + gmean) ** annualDays - 1;
  const finite = dayReturns.filter((x) => !Number.isNaN(x));
  const variance = std(finite, 1) ** 2;
  const annVol = Math.sqrt((variance + (1 + gmean) ** 2) ** annualDays - (1 + gmean) ** (2 * annualDays));
  const durationNs = ts[n - 1]! - ts[0]!;
  const years = Number(durationNs) / Number(DAY_NS) / annualDays;
  const cagr = years ? ((eq[n - 1]! / eq[0]!) ** (1 / years) - 1) * 100 : NaN;
  const maxDd = -(Math.max(0, ...dd) || 0);
  const downside = Math.sqrt(mean(finite.map((r) => Math.min(r, 0) ** 2))) * Math.sqrt(annualDays);
  // Beta: covariance of the equity's and the market's bar log returns over the market's variance.
  const eLog = eq.slice(1).map((e, i) => Math.log(e / eq[i]!));
  const mLog = c.slice(1).map((x, i) => Math.log(x / c[i]!));
  let beta = NaN;
  if (eLog.length > 1 && mLog.length > 1) {
    const me = mean(eLog);
    const mm = mean(mLog);
    const cov = sum(eLog.map((x, i) => (x - me) * (mLog[i]! - mm))) / (eLog.length - 1);
    beta = cov / std(mLog, 1) ** 2;
  }
  const wins = pl.filter((p) => p > 0);
  const losses = pl.filter((p) => p < 0);
  const winRate = pl.length === 0 ? NaN : wins.length / pl.length;
  const meanDur = (xs: bigint[]): bigint | number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0n) / BigInt(xs.length));
  const maxDur = (xs: bigint[]): bigint | number => (xs.length === 0 ? NaN : xs.reduce((a, b) => (b > a ? b : a)));
  const f = (label: string, value: number | bigint, unit: ConventionFigure["unit"]): ConventionFigure => ({ label, value, unit });
  return [
    f("Duration", durationNs, "duration"),
    f("Exposure Time [%]", mean(have) * 100, "pct"),
    f("Equity Final [$]", eq[n - 1]!, "money"),
    f("Equity Peak [$]", Math.max(...eq), "money"),
    f("Return [%]", returnPct, "pct"),
    f("Buy & Hold Return [%]", bhPct, "pct"),
    f("Return (Ann.) [%]", annRet * 100, "pct"),
    f("Volatility (Ann.) [%]", annVol * 100, "pct"),
    f("CAGR [%]", cagr, "pct"),
    f("Sharpe Ratio", (annRet * 100 - rf * 100) / orNaN(annVol * 100), "num"),
    f("Sortino Ratio", (annRet - rf) / downside, "num"),
    f("Calmar Ratio", annRet / orNaN(-maxDd), "num"),
    f("Alpha [%]", returnPct - rf * 100 - beta * (bhPct - rf * 100), "pct"),
    f("Beta", beta, "num"),
    f("Max. Drawdown [%]", maxDd * 100, "pct"),
    f("Avg. Drawdown [%]", -mean(ddPeaks) * 100, "pct"),
    f("Max. Drawdown Duration", maxDur(ddDur), "duration"),
    f("Avg. Drawdown Duration", meanDur(ddDur), "duration"),
    f("# Trades", pl.length, "count"),
    f("Win Rate [%]", winRate * 100, "pct"),
    f("Best Trade [%]", rets.length ? Math.max(...rets) * 100 : NaN, "pct"),
    f("Worst Trade [%]", rets.length ? Math.min(...rets) * 100 : NaN, "pct"),
    f("Avg. Trade [%]", rets.length ? geometricMean(rets) * 100 : NaN, "pct"),
    f("Max. Trade Duration", maxDur(durations), "duration"),
    f("Avg. Trade Duration", meanDur(durations), "duration"),
    f("Profit Factor", sum(rets.filter((r) => r > 0)) / orNaN(Math.abs(sum(rets.filter((r) => r < 0)))), "num"),
    f("Expectancy [%]", mean(rets) * 100, "pct"),
    f("SQN", (Math.sqrt(pl.length) * mean(pl)) / orNaN(std(pl, 1)), "num"),
    f("Kelly Criterion", winRate - (1 - winRate) / (mean(wins) / -mean(losses)), "num"),
  ];
}

/** Calendar year (UTC) of a time: backtrader's TimeReturn period key for timeframe Years. */
const yearOf = (t: bigint): number => new Date(Number(t / 1_000_000n)).getUTCFullYear();

/**
 * backtrader's analyzers with their defaults: SQN (analyzers/sqn.py), SharpeRatio (analyzers/sharpe.py: timeframe
 * Years, riskfreerate 0.01, convertrate, stddev_sample False), DrawDown (analyzers/drawdown.py), Returns
 * (analyzers/returns.py: daily bars, tann 252), TradeAnalyzer (analyzers/tradeanalyzer.py) and the broker's value/cash.
 */
export function backtraderStats(input: ConventionInput): ConventionFigure[] {
  const eq = input.equity.map((p) => p.equity);
  const ts = input.equity.map((p) => p.tsEvent);
  const n = eq.length;
  const pnl = input.trades.map((t) => t.pnl);
  // sqn.py: 0 with fewer than 2 trades; mathsupport.standarddev is the population deviation (bessel=False).
  const sqn = pnl.length > 1 ? (Math.sqrt(pnl.length) * mean(pnl)) / std(pnl, 0) : 0;
  // sharpe.py on TimeReturn(Years): one return per calendar year, from the value at the end of the previous year.
  const yearly: number[] = [];
  let start = eq[0]!;
  for (let i = 1; i < n; i++) {
    const endOfYear = i === n - 1 || yearOf(ts[i + 1]!) !== yearOf(ts[i]!);
    if (endOfYear) {
      yearly.push(eq[i]! / start - 1);
      start = eq[i]!;
    }
  }
  const rate = input.riskFreeRate ?? 0.01; // factor 1 for Years: convertrate leaves it as is
  const excess = yearly.map((r) => r - rate);
  const sharpe = excess.length > 0 ? mean(excess) / orNaN(std(excess, 0)) : NaN;
  // drawdown.py: from the running max value, per bar; len counts consecutive bars under water.
  let maxValue = -Infinity;
  let len = 0;
  let maxLen = 0;
  let maxMoney = 0;
  let maxDd = 0;
  let money = 0;
  let ddPct = 0;
  for (const v of eq) {
    maxValue = Math.max(maxValue, v);
    money = maxValue - v;
    ddPct = (100 * money) / maxValue;
    maxMoney = Math.max(maxMoney, money);
    maxDd = Math.max(maxDd, ddPct);
    len = ddPct ? len + 1 : 0;
    maxLen = Math.max(maxLen, len);
  }
  // returns.py: rtot = log(end / start), ravg = rtot / bars (one period per bar), rnorm = exp(ravg · 252) − 1.
  const rtot = Math.log(eq[n - 1]! / eq[0]!);
  const ravg = rtot / n;
  const rnorm = Math.exp(ravg * 252) - 1;
  // tradeanalyzer.py: a trade is won when pnlcomm >= 0.
  const won = pnl.filter((p) => p >= 0);
  const lost = pnl.filter((p) => p < 0);
  let streakW = 0;
  let streakL = 0;
  let longestW = 0;
  let longestL = 0;
  for (const p of pnl) {
    if (p >= 0) {
      streakW++;
      streakL = 0;
    } else {
      streakL++;
      streakW = 0;
    }
    longestW = Math.max(longestW, streakW);
    longestL = Math.max(longestL, streakL);
  }
  const gross = input.trades.map((t) => t.grossPnl);
  const fills = input.fills ?? [];
  const cash = eq[0]! - sum(fills.map((x) => (x.side === "buy" ? 1 : -1) * x.qty * x.price * (x.multiplier ?? 1))) - sum(fills.map((x) => x.commission));
  const f = (label: string, value: number | bigint, unit: ConventionFigure["unit"]): ConventionFigure => ({ label, value, unit });
  return [
    f("broker.getvalue()", eq[n - 1]!, "money"),
    f("broker.getcash()", cash, "money"),
    f("SharpeRatio.sharperatio", sharpe, "num"),
    f("SQN.sqn", sqn, "num"),
    f("SQN.trades", pnl.length, "count"),
    f("DrawDown.max.drawdown", maxDd, "pct"),
    f("DrawDown.max.moneydown", maxMoney, "money"),
    f("DrawDown.max.len", maxLen, "bars"),
    f("DrawDown.drawdown", ddPct, "pct"),
    f("DrawDown.moneydown", money, "money"),
    f("DrawDown.len", len, "bars"),
    f("Returns.rtot", rtot, "num"),
    f("Returns.ravg", ravg, "num"),
    f("Returns.rnorm", rnorm, "num"),
    f("Returns.rnorm100", rnorm * 100, "pct"),
    f("TradeAnalyzer.total.closed", pnl.length, "count"),
    f("TradeAnalyzer.total.open", input.openTrades ?? 0, "count"),
    f("TradeAnalyzer.won.total", won.length, "count"),
    f("TradeAnalyzer.lost.total", lost.length, "count"),
    f("TradeAnalyzer.streak.won.longest", longestW, "count"),
    f("TradeAnalyzer.streak.lost.longest", longestL, "count"),
    f("TradeAnalyzer.pnl.gross.total", sum(gross), "money"),
    f("TradeAnalyzer.pnl.gross.average", mean(gross), "money"),
    f("TradeAnalyzer.pnl.net.total", sum(pnl), "money"),
    f("TradeAnalyzer.pnl.net.average", mean(pnl), "money"),
    f("TradeAnalyzer.won.pnl.total", sum(won), "money"),
    f("TradeAnalyzer.lost.pnl.total", sum(lost), "money"),
  ];
}

/** The figures of one convention. */
export function conventionStats(convention: Exclude<StatsConvention, "tickflow">, input: ConventionInput): ConventionFigure[] {
  return convention === "backtesting.py" ? backtestingPyStats(input) : backtraderStats(input);
}
