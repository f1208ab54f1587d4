// Held-out metrics for a classifier with several classes: accuracy, macro-F1 and the confusion matrix.

export interface MulticlassMetrics {
  readonly n: number;
  readonly accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  readonly macroF1: number;
  /** confusion[truth][predicted], class indexes. */
  readonly confusion: readonly (readonly number[])[];
}

/**
 * @example multiclassMetrics([0, 1, 2], [0, 2, 2], 3).accuracy // 2/3
 * @param truth class index per row
 * @param predicted class index per row
 */
export function multiclassMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): MulticlassMetrics {
  if (truth.length !== predicted.length) throw new Error(`multiclassMetrics: ${truth.length} labels vs ${predicted.length} predictions`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]!]![predicted[i]!]!++;
  let correct = 0;
  let f1Sum = 0;
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c]![c]!;
    correct += tp;
    let actual = 0;
    let guessed = 0;
    for (let o = 0; o < classes; o++) {
      actual += confusion[c]![o]!;
      guessed += confusion[o]![c]!;
    }
    const precision = guessed ? tp / guessed : 0;
    const recall = actual ? tp / actual : 0;
    f1Sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return { n: truth.length, accuracy: truth.length ? correct / truth.length : 0, macroF1: f1Sum / classes, confusion };
}
