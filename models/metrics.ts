// Classification metrics for held-out predictions: accuracy, log loss, rank AUC and confusion counts.

export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface ClassificationMetrics {
  readonly rows: number;
  readonly accuracy: number;
  readonly logLoss: number;
  readonly auc: number;
  readonly positiveRate: number;
  readonly confusion: ConfusionCounts;
}

/**
 * Counts of predicted (p >= threshold) vs actual (y = 1) classes.
 * @param y labels 0/1
 * @param p predicted probabilities of class 1
 * @param threshold default 0.5
 */
export function confusionCounts(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): ConfusionCounts {
  assertSameLength(y, p);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const actual = y[i] === 1;
    const predicted = p[i]! >= threshold;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/** Share of rows where (p >= threshold) agrees with y. */
export function accuracy(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): number {
  const c = confusionCounts(y, p, threshold);
  return (c.tp + c.tn) / Math.max(1, y.length);
}

/** Mean negative log-likelihood (natural log); probabilities are clipped to [eps, 1 - eps] so 0/1 stay finite. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>, eps = 1e-15): number {
  assertSameLength(y, p);
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]!));
    sum -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / Math.max(1, y.length);
}

/**
 * Area under the ROC curve by the Mann–Whitney rank statistic; tied scores get their average rank (a tie between
 * a positive and a negative counts 1/2). NaN when only one class is present.
 */
export function auc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  assertSameLength(y, p);
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]!] === p[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        positives++;
        rankSumPositives += avgRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** All held-out metrics at once. */
export function classificationMetrics(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): ClassificationMetrics {
  const confusion = confusionCounts(y, p, threshold);
  let pos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) pos++;
  return {
    rows: y.length,
    accuracy: (confusion.tp + confusion.tn) / Math.max(1, y.length),
    logLoss: logLoss(y, p),
    auc: auc(y, p),
    positiveRate: pos / Math.max(1, y.length),
    confusion,
  };
}

function assertSameLength(y: ArrayLike<number>, p: ArrayLike<number>): void {
  if (y.length !== p.length) throw new Error(`labels (${y.length}) and predictions (${p.length}) differ in length`);
}
