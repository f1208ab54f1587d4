// The feature matrix models train on, and the walk-forward split that keeps the held-out period strictly after training.

/**
 * Rows of recorded features in time order. `values` is row-major: row i, feature j is `values[i * cols + j]`.
 * `labels` holds 0/1 (or other classes) per row, NaN where a row has no label (e.g. no full horizon yet).
 */
export interface FeatureMatrix {
  readonly values: Float64Array;
  readonly rows: number;
  readonly featureNames: readonly string[];
  readonly labels: Float64Array;
  /** Event time per row, ns since the epoch, non-decreasing. */
  readonly timestamps: BigInt64Array;
}

/** Builds a FeatureMatrix, checking that every array has the length the others imply. */
export function featureMatrix(parts: {
  values: Float64Array;
  featureNames: readonly string[];
  labels: Float64Array;
  timestamps: BigInt64Array;
}): FeatureMatrix {
  const cols = parts.featureNames.length;
  const rows = parts.timestamps.length;
  if (cols === 0) throw new Error("featureMatrix: featureNames is empty; a model needs at least one feature");
  if (parts.values.length !== rows * cols) {
    throw new Error(`featureMatrix: values has ${parts.values.length} numbers, expected rows × features = ${rows} × ${cols} = ${rows * cols}`);
  }
  if (parts.labels.length !== rows) {
    throw new Error(`featureMatrix: labels has ${parts.labels.length} entries, expected one per row (${rows})`);
  }
  assertTimeOrdered(parts.timestamps);
  return { ...parts, rows, featureNames: [...parts.featureNames] };
}

/** Returns the rows whose label is not NaN, keeping time order. */
export function dropUnlabeled(m: FeatureMatrix): FeatureMatrix {
  const keep: number[] = [];
  for (let i = 0; i < m.rows; i++) if (!Number.isNaN(m.labels[i]!)) keep.push(i);
  return selectRows(m, keep);
}

/** Returns the given rows (indices in increasing order) as a new FeatureMatrix. */
export function selectRows(m: FeatureMatrix, indices: readonly number[]): FeatureMatrix {
  const cols = m.featureNames.length;
  const values = new Float64Array(indices.length * cols);
  const labels = new Float64Array(indices.length);
  const timestamps = new BigInt64Array(indices.length);
  indices.forEach((r, k) => {
    values.set(m.values.subarray(r * cols, (r + 1) * cols), k * cols);
    labels[k] = m.labels[r]!;
    timestamps[k] = m.timestamps[r]!;
  });
  return { values, rows: indices.length, featureNames: m.featureNames, labels, timestamps };
}

/** Rows [start, end) of a FeatureMatrix, sharing no memory with later writes to the original. */
export function sliceRows(m: FeatureMatrix, range: RowRange): FeatureMatrix {
  const cols = m.featureNames.length;
  return {
    values: m.values.slice(range.start * cols, range.end * cols),
    rows: range.end - range.start,
    featureNames: m.featureNames,
    labels: m.labels.slice(range.start, range.end),
    timestamps: m.timestamps.slice(range.start, range.end),
  };
}

/** Half-open row range [start, end). */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

/** One train/test pair. Train rows all come before test rows, with the embargo gap between them. */
export interface WalkForwardFold {
  readonly train: RowRange;
  readonly test: RowRange;
}

/**
 * Gap between the last training row and the first test row. A label that looks `h` bars ahead needs
 * `rows >= h`, otherwise training labels peek into the test period. Both limits apply when both are given.
 */
export interface Embargo {
  /** Rows dropped from the end of the training range. Default 0. */
  readonly rows?: number;
  /** Training rows with timestamp > firstTestTimestamp - ns are dropped. Default 0n. */
  readonly ns?: bigint;
}

/** A single split: the first `trainFrac` of rows (by time order) train, the rest test. */
export interface TrainFracSplit {
  readonly trainFrac: number;
  readonly embargo?: Embargo;
}

/**
 * Expanding-window walk-forward: rows are cut into `folds + 1` equal consecutive blocks; fold k tests on block k
 * and trains on everything before it (minus the embargo).
 */
export interface FoldsSplit {
  readonly folds: number;
  readonly embargo?: Embargo;
}

export type WalkForwardOptions = TrainFracSplit | FoldsSplit;

/**
 * Splits time-ordered rows into train/test folds; never shuffles.
 * @example walkForwardSplit(ts, { trainFrac: 0.7, embargo: { rows: 5 } }) // [{ train: {0, 695}, test: {700, 1000} }]
 * @param timestamps event time per row (ns), non-decreasing
 */
export function walkForwardSplit(timestamps: BigInt64Array, options: WalkForwardOptions): WalkForwardFold[] {
  assertTimeOrdered(timestamps);
  const n = timestamps.length;
  const embargoRows = options.embargo?.rows ?? 0;
  const embargoNs = options.embargo?.ns ?? 0n;
  if (!Number.isInteger(embargoRows) || embargoRows < 0) {
    throw new Error(`walkForwardSplit: embargo.rows must be a non-negative integer, got ${embargoRows}`);
  }
  if (embargoNs < 0n) throw new Error(`walkForwardSplit: embargo.ns must be >= 0, got ${embargoNs}`);

  let testStarts: number[];
  let testEnds: number[];
  if ("trainFrac" in options) {
    const f = options.trainFrac;
    if (!(f > 0 && f < 1)) throw new Error(`walkForwardSplit: trainFrac must be in (0, 1), got ${f}`);
    testStarts = [Math.floor(n * f)];
    testEnds = [n];
  } else {
    const k = options.folds;
    if (!Number.isInteger(k) || k < 1) throw new Error(`walkForwardSplit: folds must be an integer >= 1, got ${k}`);
    testStarts = [];
    testEnds = [];
    for (let i = 1; i <= k; i++) {
      testStarts.push(Math.floor((n * i) / (k + 1)));
      testEnds.push(Math.floor((n * (i + 1)) / (k + 1)));
    }
  }

  return testStarts.map((testStart, i) => {
    // Rows sharing the first test timestamp are test rows, never train rows.
    let trainEnd = testStart;
    while (trainEnd > 0 && timestamps[trainEnd - 1]! >= timestamps[testStart]! - embargoNs) trainEnd--;
    trainEnd = Math.max(0, Math.min(trainEnd, testStart - embargoRows));
    const fold = { train: { start: 0, end: trainEnd }, test: { start: testStart, end: testEnds[i]! } };
    if (fold.train.end === 0 || fold.test.end <= fold.test.start) {
      throw new Error(
        `walkForwardSplit: fold ${i + 1} of ${testStarts.length} is empty (train ${fold.train.end} rows, test ${fold.test.end - fold.test.start} rows from ${n}); use more rows, fewer folds or a smaller embargo`,
      );
    }
    return fold;
  });
}

function assertTimeOrdered(timestamps: BigInt64Array): void {
  for (let i = 1; i < timestamps.length; i++) {
    if (timestamps[i]! < timestamps[i - 1]!) {
      throw new Error(
        `timestamps must be non-decreasing: row ${i} (${timestamps[i]}) is before row ${i - 1} (${timestamps[i - 1]}); sort rows by event time first`,
      );
    }
  }
}
