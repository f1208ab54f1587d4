// Walk-forward over the variants' equity curves: K consecutive folds, the best variant chosen on each fold's
// in-sample slice by the rank statistic, its out-of-sample slice kept; the OOS slices chained (returns compounded).
import { backtestStats, type BacktestStats } from "../../trading/stats.ts";
import type { VariantRun } from "./evaluate.ts";

/** Statistics a variant can be ranked by; `maxDrawdown` and `volatility` rank lower first. */
export const RANK_STATS = [
  "sharpe",
  "sortino",
  "calmar",
  "cagr",
  "totalReturn",
  "annualReturn",
  "sqn",
  "profitFactor",
  "winRate",
  "expectancy",
  "maxDrawdown",
  "volatility",
] as const;
export type RankStat = (typeof RANK_STATS)[number];

const LOWER_IS_BETTER: ReadonlySet<RankStat> = new Set(["maxDrawdown", "volatility"]);

/** A score where higher is better and NaN is worst. */
export function score(stat: RankStat, value: number): number {
  if (Number.isNaN(value)) return -Infinity;
  return LOWER_IS_BETTER.has(stat) ? -value : value;
}

/** Indices by score, best first; ties keep the lower index first. */
export function rankBy(values: readonly number[], stat: RankStat): number[] {
  return values.map((_, i) => i).sort((a, b) => score(stat, values[b]!) - score(stat, values[a]!) || a - b);
}

/** The best index (first on ties). */
export function bestOf(values: readonly number[], stat: RankStat): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (score(stat, values[i]!) > score(stat, values[best]!)) best = i;
  return best;
}

/** Statistics of points [from, to] of a run's curve (aligned on the shared timeline), with the trades closed in it. */
export function sliceStats(run: VariantRun, equity: Float64Array, ts: BigInt64Array, from: number, to: number): BacktestStats {
  const points = [];
  for (let i = from; i <= to; i++) points.push({ tsEvent: ts[i]!, equity: equity[i]!, exposed: false });
  const t0 = ts[from]!;
  const t1 = ts[to]!;
  const trades = run.trades.filter((t) => t.exitTs > t0 && t.exitTs <= t1);
  return backtestStats({ equity: points, trades, periodsPerYear: run.periodsPerYear });
}

export interface Fold {
  readonly fold: number;
  /** Point indices on the timeline: in-sample [isFrom, isTo], out-of-sample [isTo, oosTo]. */
  readonly isFrom: number;
  readonly isTo: number;
  readonly oosTo: number;
  readonly chosen: number;
  readonly inSample: number;
  readonly outOfSample: number;
  readonly oosReturn: number;
}

export interface WalkForward {
  readonly folds: readonly Fold[];
  /** Chained out-of-sample equity, starting at the starting equity at the first fold's OOS start. */
  readonly ts: BigInt64Array;
  readonly equity: Float64Array;
  readonly totalReturn: number;
}

/**
 * Walk-forward on aligned curves: `equity[n]` is variant n on the timeline `ts` (T + 1 points). Fold k covers points
 * [⌊kT/K⌋, ⌊(k+1)T/K⌋]; its first `inSampleFraction` is in-sample, the rest out of sample.
 */
export function walkForward(
  runs: readonly VariantRun[],
  equity: readonly Float64Array[],
  ts: BigInt64Array,
  o: { folds: number; inSampleFraction: number; rank: RankStat },
): WalkForward {
  const T = ts.length - 1;
  const folds: Fold[] = [];
  const outTs: bigint[] = [];
  const outEq: number[] = [];
  let level = runs[0]?.stats.startEquity ?? 1;
  for (let k = 0; k < o.folds; k++) {
    const a = Math.floor((k * T) / o.folds);
    const b = Math.floor(((k + 1) * T) / o.folds);
    const m = a + Math.max(1, Math.min(b - a - 1, Math.round(o.inSampleFraction * (b - a))));
    if (m - a < 1 || b - m < 1) throw new Error(`walk-forward: fold ${k + 1} of ${o.folds} has too few periods (${b - a}); use fewer folds`);
    const isValues = runs.map((r, n) => sliceStats(r, equity[n]!, ts, a, m)[o.rank]);
    const chosen = bestOf(isValues, o.rank);
    const oos = sliceStats(runs[chosen]!, equity[chosen]!, ts, m, b);
    const e = equity[chosen]!;
    // Each fold's OOS slice starts at its own point (flat over the next fold's in-sample part, which is not traded).
    outTs.push(ts[m]!);
    outEq.push(level);
    for (let i = m + 1; i <= b; i++) {
      level *= e[i]! / e[i - 1]!;
      outTs.push(ts[i]!);
      outEq.push(level);
    }
    folds.push({ fold: k + 1, isFrom: a, isTo: m, oosTo: b, chosen, inSample: isValues[chosen]!, outOfSample: oos[o.rank], oosReturn: oos.totalReturn });
  }
  return { folds, ts: BigInt64Array.from(outTs), equity: Float64Array.from(outEq), totalReturn: outEq.at(-1)! / outEq[0]! - 1 };
}
