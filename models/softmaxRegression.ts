// Multinomial logistic regression (softmax) over sparse rows, trained by seeded-order Adagrad SGD; fully deterministic.
import { mulberry32 } from "./prng.ts";

/** A sparse feature vector: sorted column indexes and their values. */
export interface SparseRow {
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export interface SoftmaxRegressionParams {
  /** L2 penalty per example on the weights it touches (lazy L2, not on the bias). Default 1e-6. */
  readonly l2?: number;
  /** Passes over the rows. Default 10. */
  readonly epochs?: number;
  /** Adagrad base step. Default 0.5. */
  readonly learningRate?: number;
  /** Seed of the row order, shuffled anew each epoch. Default 1. */
  readonly seed?: number;
  /** Loss weight per class (e.g. to balance classes); default 1 each. */
  readonly classWeights?: readonly number[];
}

export interface SoftmaxRegressionModel {
  readonly kind: "softmax";
  /** Input width (number of columns). */
  readonly dimension: number;
  /** Number of classes. */
  readonly classes: number;
  /** Row-major dimension × classes, rounded to float32 as served and exported. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/**
 * Fits P(class k | x) = softmax(b + xᵀW)_k.
 * @example const m = trainSoftmaxRegression(rows, labels, { dimension: 1 << 18, classes: 3 }, { epochs: 10 });
 * @param rows sparse training rows
 * @param labels class index per row, 0 … classes-1
 */
export function trainSoftmaxRegression(
  rows: readonly SparseRow[],
  labels: ArrayLike<number>,
  shape: { readonly dimension: number; readonly classes: number },
  params: SoftmaxRegressionParams = {},
): SoftmaxRegressionModel {
  const { dimension: d, classes: k } = shape;
  const l2 = params.l2 ?? 1e-6;
  const epochs = params.epochs ?? 10;
  const lr = params.learningRate ?? 0.5;
  const classWeights = params.classWeights ?? new Array<number>(k).fill(1);
  if (labels.length !== rows.length) throw new Error(`trainSoftmaxRegression: ${labels.length} labels for ${rows.length} rows`);
  if (classWeights.length !== k) throw new Error(`trainSoftmaxRegression: ${classWeights.length} class weights for ${k} classes`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < k)) throw new Error(`trainSoftmaxRegression: row ${i} has label ${y}, expected an integer in [0, ${k})`);
  }
  const w = new Float64Array(d * k);
  const g2 = new Float64Array(d * k);
  const b = new Float64Array(k);
  const gb2 = new Float64Array(k);
  const p = new Float64Array(k);
  const order = Int32Array.from(rows.keys());
  const rand = mulberry32(params.seed ?? 1);
  const eps = 1e-8;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (const r of order) {
      const row = rows[r]!;
      logits(w, b, k, row, p);
      softmaxInPlace(p);
      const y = labels[r]!;
      const cw = classWeights[y]!;
      for (let c = 0; c < k; c++) {
        const err = cw * (p[c]! - (c === y ? 1 : 0));
        gb2[c]! += err * err;
        b[c]! -= (lr * err) / Math.sqrt(gb2[c]! + eps);
        for (let n = 0; n < row.indices.length; n++) {
          const at = row.indices[n]! * k + c;
          const grad = err * row.values[n]! + l2 * w[at]!;
          g2[at]! += grad * grad;
          w[at]! -= (lr * grad) / Math.sqrt(g2[at]! + eps);
        }
      }
    }
  }
  return { kind: "softmax", dimension: d, classes: k, weights: Float32Array.from(w), bias: Float32Array.from(b) };
}

/** Class probabilities of one row, into `out` (length classes) or a new array. */
export function predictSoftmaxRow(model: SoftmaxRegressionModel, row: SparseRow, out = new Float64Array(model.classes)): Float64Array {
  logits(model.weights, model.bias, model.classes, row, out);
  return softmaxInPlace(out);
}

/** Index of the largest value; the first on ties. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function logits(w: ArrayLike<number>, b: ArrayLike<number>, k: number, row: SparseRow, out: Float64Array): void {
  for (let c = 0; c < k; c++) out[c] = b[c]!;
  for (let n = 0; n < row.indices.length; n++) {
    const base = row.indices[n]! * k;
    const v = row.values[n]!;
    for (let c = 0; c < k; c++) out[c]! += v * w[base + c]!;
  }
}

function softmaxInPlace(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let c = 0; c < z.length; c++) {
    z[c] = Math.exp(z[c]! - max);
    sum += z[c]!;
  }
  for (let c = 0; c < z.length; c++) z[c]! /= sum;
  return z;
}
