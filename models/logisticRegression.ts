// L2-regularised logistic regression fitted by Newton's method (IRLS) on standardised features; fully deterministic.
import { applyStandardizer, fitStandardizer, type Standardizer } from "./standardizer.ts";

export interface LogisticRegressionParams {
  /** Ridge penalty on the weights (not the intercept), on the mean log loss: loss + l2/2·|w|². Default 1e-4. */
  readonly l2?: number;
  /** Newton iterations at most. Default 100. */
  readonly maxIterations?: number;
  /** Stop when the largest Newton step component is below this. Default 1e-10. */
  readonly tolerance?: number;
}

export interface LogisticRegressionModel {
  readonly kind: "logreg";
  readonly featureNames: readonly string[];
  /** Fitted on the training rows only; applied before the weights, and exported as Sub → Div. */
  readonly standardizer: Standardizer;
  /** One weight per feature, for standardised inputs. */
  readonly weights: Float64Array;
  readonly intercept: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Fits P(y = 1 | x) = sigmoid(b + w · standardise(x)).
 * @example const m = trainLogisticRegression(X, y, n, ["ret_1", "rsi_14"], { l2: 1e-3 });
 * @param X row-major training features (n × featureNames.length)
 * @param y labels 0/1, one per row
 */
export function trainLogisticRegression(
  X: Float64Array,
  y: ArrayLike<number>,
  n: number,
  featureNames: readonly string[],
  params: LogisticRegressionParams = {},
): LogisticRegressionModel {
  const l2 = params.l2 ?? 1e-4;
  const maxIterations = params.maxIterations ?? 100;
  const tolerance = params.tolerance ?? 1e-10;
  const f = featureNames.length;
  if (X.length !== n * f) throw new Error(`trainLogisticRegression: X has ${X.length} numbers, expected ${n} × ${f}`);
  if (y.length !== n) throw new Error(`trainLogisticRegression: y has ${y.length} labels, expected ${n}`);
  if (!(l2 >= 0)) throw new Error(`trainLogisticRegression: l2 must be >= 0, got ${l2}`);
  assertBinary(y);

  const standardizer = fitStandardizer(X, n, f);
  const Z = applyStandardizer(standardizer, X, n);
  const d = f + 1; // parameter vector: [w_0 .. w_{f-1}, b]
  const theta = new Float64Array(d);
  let iterations = 0;
  let converged = false;
  let loss = objective(Z, y, n, f, theta, l2);

  while (iterations < maxIterations) {
    iterations++;
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    const row = new Float64Array(d);
    row[f] = 1;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < f; j++) row[j] = Z[i * f + j]!;
      const p = sigmoid(linear(row, theta, f));
      const r = p - y[i]!;
      const w = p * (1 - p);
      for (let a = 0; a < d; a++) {
        grad[a]! += r * row[a]!;
        const wa = w * row[a]!;
        for (let b = 0; b <= a; b++) hess[a * d + b]! += wa * row[b]!;
      }
    }
    for (let a = 0; a < d; a++) {
      grad[a]! /= n;
      for (let b = 0; b <= a; b++) {
        hess[a * d + b]! /= n;
        hess[b * d + a] = hess[a * d + b]!;
      }
    }
    for (let j = 0; j < f; j++) {
      grad[j]! += l2 * theta[j]!;
      hess[j * d + j]! += l2;
    }
    hess[f * d + f]! += 1e-12; // keeps the system solvable when one class dominates
    const step = choleskySolve(hess, grad, d);

    // Step halving keeps Newton monotone when far from the optimum (e.g. near-separable data).
    let scale = 1;
    let next = theta.map((t, k) => t - step[k]!);
    let nextLoss = objective(Z, y, n, f, next, l2);
    while (nextLoss > loss && scale > 1e-8) {
      scale /= 2;
      next = theta.map((t, k) => t - scale * step[k]!);
      nextLoss = objective(Z, y, n, f, next, l2);
    }
    theta.set(next);
    loss = nextLoss;
    let maxStep = 0;
    for (let k = 0; k < d; k++) maxStep = Math.max(maxStep, Math.abs(scale * step[k]!));
    if (maxStep < tolerance) {
      converged = true;
      break;
    }
  }

  return {
    kind: "logreg",
    featureNames: [...featureNames],
    standardizer,
    weights: theta.slice(0, f),
    intercept: theta[f]!,
    iterations,
    converged,
  };
}

/** P(y = 1) per row of X (row-major, n rows, raw unstandardised features). */
export function predictLogisticRegression(model: LogisticRegressionModel, X: Float64Array, n: number): Float64Array {
  const f = model.weights.length;
  const Z = applyStandardizer(model.standardizer, X, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < f; j++) z += Z[i * f + j]! * model.weights[j]!;
    out[i] = sigmoid(z + model.intercept);
  }
  return out;
}

/** Coefficients on the raw feature scale: w_raw = w / std, b_raw = b - Σ w·mean/std. */
export function rawCoefficients(model: LogisticRegressionModel): { weights: Float64Array; intercept: number } {
  const { mean, std } = model.standardizer;
  const weights = model.weights.map((w, j) => w / std[j]!);
  let intercept = model.intercept;
  for (let j = 0; j < weights.length; j++) intercept -= weights[j]! * mean[j]!;
  return { weights, intercept };
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function linear(row: Float64Array, theta: Float64Array, f: number): number {
  let z = 0;
  for (let j = 0; j < f; j++) z += row[j]! * theta[j]!;
  return z + theta[f]!;
}

function objective(Z: Float64Array, y: ArrayLike<number>, n: number, f: number, theta: Float64Array, l2: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[f]!;
    for (let j = 0; j < f; j++) z += Z[i * f + j]! * theta[j]!;
    // log(1 + e^z) - y·z, written to stay finite for large |z|
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    sum += softplus - y[i]! * z;
  }
  let penalty = 0;
  for (let j = 0; j < f; j++) penalty += theta[j]! * theta[j]!;
  return sum / n + (l2 / 2) * penalty;
}

function choleskySolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("trainLogisticRegression: Hessian is not positive definite; add l2 > 0 or drop duplicate features");
        L[i * d + i] = Math.sqrt(s);
      } else {
        L[i * d + j] = s / L[j * d + j]!;
      }
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * d + k]! * z[k]!;
    z[i] = s / L[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * x[k]!;
    x[i] = s / L[i * d + i]!;
  }
  return x;
}

export function assertBinary(y: ArrayLike<number>): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) {
      throw new Error(`labels must be 0 or 1, row ${i} has ${y[i]}; drop unlabeled rows (NaN) before training`);
    }
  }
}
