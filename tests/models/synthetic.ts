// Seeded synthetic feature matrices for model tests and benchmarks.
import { mulberry32, normalFrom } from "../../models/prng.ts";

export interface SyntheticData {
  X: Float64Array;
  y: Float64Array;
  n: number;
  featureNames: string[];
  timestamps: BigInt64Array;
}

const MINUTE_NS = 60_000_000_000n;

/** Rows from a known logistic model: P(y=1) = sigmoid(intercept + Σ w_j x_j), x_j ~ N(mean_j, scale_j). */
export function logisticData(n: number, weights: number[], intercept: number, seed: number, scales?: number[]): SyntheticData {
  const rand = mulberry32(seed);
  const normal = normalFrom(rand);
  const f = weights.length;
  const X = new Float64Array(n * f);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = intercept;
    for (let j = 0; j < f; j++) {
      const x = normal() * (scales?.[j] ?? 1) + j * 0.5;
      X[i * f + j] = x;
      z += weights[j]! * x;
    }
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X, y, n, featureNames: weights.map((_, j) => `f${j}`), timestamps: minuteStamps(n) };
}

/** XOR-like: y = 1 when x0 and x1 have the same sign (with 5% label noise); extra features are noise. */
export function xorData(n: number, seed: number, extraFeatures = 0): SyntheticData {
  const rand = mulberry32(seed);
  const f = 2 + extraFeatures;
  const X = new Float64Array(n * f);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) X[i * f + j] = rand() * 2 - 1;
    const same = X[i * f]! * X[i * f + 1]! > 0;
    y[i] = (rand() < 0.05 ? !same : same) ? 1 : 0;
  }
  return { X, y, n, featureNames: Array.from({ length: f }, (_, j) => `x${j}`), timestamps: minuteStamps(n) };
}

export function minuteStamps(n: number, start = 1_700_000_000_000_000_000n): BigInt64Array {
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ts[i] = start + BigInt(i) * MINUTE_NS;
  return ts;
}
