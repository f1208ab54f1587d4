// What a model's held-out figures must beat before they mean anything: always-majority accuracy, base-rate log loss,
// a coin, a permutation null band for AUC, and random long/flat signals with the model's exposure for its backtest.
// All seeded (models/prng.ts): the same data gives the same bands on every run.
import { accuracy, auc, logLoss } from "./metrics.ts";
import { mulberry32, type Random } from "./prng.ts";
import { backtestSignal } from "./signalBacktest.ts";

export interface ClassificationBaselines {
  /** Accuracy of always predicting the training rows' majority class on the held-out rows. */
  readonly majorityAccuracy: number;
  /** Log loss of predicting the training rows' positive rate for every held-out row. */
  readonly baseRateLogLoss: number;
  /** A fair coin: accuracy 0.5, log loss ln 2, AUC 0.5 (in expectation). */
  readonly coin: { readonly accuracy: number; readonly logLoss: number; readonly auc: number };
  /** AUC of the model's scores against shuffled held-out labels: [2.5 %, 97.5 %] of `permutations` shuffles. */
  readonly aucNullBand: readonly [number, number];
  readonly permutations: number;
}

export interface BacktestBaselines {
  /** Returns of random long/flat signals with exactly the model's number of long rows: 5th, 50th, 95th percentile. */
  readonly randomReturn: { readonly p5: number; readonly p50: number; readonly p95: number };
  /** Fraction of random signals whose return is below the model's. */
  readonly modelPercentile: number;
  readonly draws: number;
}

/** Seeded Fisher–Yates shuffle of a copy. */
function shuffled(xs: ArrayLike<number>, rand: Random): Float64Array {
  const a = Float64Array.from(xs as ArrayLike<number>);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;

/**
 * @param yTrain training labels (the majority class and base rate come from them, never from the test rows)
 * @param yTest held-out labels
 * @param pTest the model's held-out probabilities
 */
export function classificationBaselines(
  yTrain: ArrayLike<number>,
  yTest: ArrayLike<number>,
  pTest: ArrayLike<number>,
  o: { seed?: number; permutations?: number } = {},
): ClassificationBaselines {
  let pos = 0;
  for (let i = 0; i < yTrain.length; i++) if (yTrain[i] === 1) pos++;
  const rate = yTrain.length ? pos / yTrain.length : 0.5;
  const majority = rate >= 0.5 ? 1 : 0;
  const n = yTest.length;
  const constant = (v: number): Float64Array => new Float64Array(n).fill(v);
  const permutations = o.permutations ?? 200;
  const rand = mulberry32(o.seed ?? 1);
  const aucs: number[] = [];
  for (let k = 0; k < permutations; k++) aucs.push(auc(shuffled(yTest, rand), pTest));
  const finite = aucs.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    majorityAccuracy: accuracy(yTest, constant(majority)),
    baseRateLogLoss: logLoss(yTest, constant(Math.min(1 - 1e-15, Math.max(1e-15, rate)))),
    coin: { accuracy: 0.5, logLoss: Math.LN2, auc: 0.5 },
    aucNullBand: finite.length ? [quantile(finite, 0.025), quantile(finite, 0.975)] : [Number.NaN, Number.NaN],
    permutations,
  };
}

/** Random signals long on exactly as many rows as the model, over the same rows and returns. */
export function backtestBaselines(
  pTest: ArrayLike<number>,
  symbols: readonly string[],
  nextReturn: ArrayLike<number>,
  modelReturn: number,
  o: { seed?: number; draws?: number; threshold?: number } = {},
): BacktestBaselines {
  const threshold = o.threshold ?? 0.5;
  let longRows = 0;
  for (let i = 0; i < pTest.length; i++) if (pTest[i]! > threshold) longRows++;
  const base = new Float64Array(pTest.length);
  for (let i = 0; i < longRows; i++) base[i] = 1;
  const draws = o.draws ?? 200;
  const rand = mulberry32(o.seed ?? 2);
  const returns: number[] = [];
  for (let k = 0; k < draws; k++) returns.push(backtestSignal(shuffled(base, rand), symbols, nextReturn, threshold).strategyReturn);
  returns.sort((a, b) => a - b);
  return {
    randomReturn: { p5: quantile(returns, 0.05), p50: quantile(returns, 0.5), p95: quantile(returns, 0.95) },
    modelPercentile: returns.filter((r) => r < modelReturn).length / draws,
    draws,
  };
}

/** A plain verdict: which baselines the model fails to beat (an empty list: it beats them all). */
export function baselineVerdict(
  m: { accuracy: number; logLoss: number; auc: number },
  c: ClassificationBaselines,
  b?: BacktestBaselines & { buyAndHoldReturn: number; modelReturn: number },
): string[] {
  const fails: string[] = [];
  if (!(m.accuracy > c.majorityAccuracy)) fails.push(`accuracy ${m.accuracy.toFixed(4)} does not beat always-majority ${c.majorityAccuracy.toFixed(4)}`);
  if (!(m.logLoss < c.baseRateLogLoss)) fails.push(`log loss ${m.logLoss.toFixed(4)} is no better than the base rate's ${c.baseRateLogLoss.toFixed(4)}`);
  if (!(m.auc > c.aucNullBand[1]))
    fails.push(`AUC ${m.auc.toFixed(4)} is inside the permutation null band [${c.aucNullBand[0].toFixed(4)}, ${c.aucNullBand[1].toFixed(4)}]`);
  if (b && !(b.modelPercentile >= 0.95))
    fails.push(
      `the backtest's ${(b.modelReturn * 100).toFixed(2)}% beats only ${Math.round(b.modelPercentile * 100)} % of random signals with the same exposure (5-95%: ${(b.randomReturn.p5 * 100).toFixed(2)}% to ${(b.randomReturn.p95 * 100).toFixed(2)}%)`,
    );
  return fails;
}
