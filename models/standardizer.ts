// Per-feature standardisation whose mean and std come from training rows only; stored in (and exported with) the model.

/** z = (x - mean) / std per feature. A constant feature gets std 1 so it maps to 0 instead of NaN. */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Fits mean and population std per column over the given rows.
 * @param values row-major matrix
 * @param rows number of rows in `values` to use (the training rows)
 * @param cols features per row
 */
export function fitStandardizer(values: Float64Array, rows: number, cols: number): Standardizer {
  if (rows < 1) throw new Error("fitStandardizer: no training rows");
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += values[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const d = values[i * cols + j]! - mean[j]!;
      std[j]! += d * d;
    }
  }
  for (let j = 0; j < cols; j++) {
    const s = Math.sqrt(std[j]! / rows);
    if (!Number.isFinite(s) || !Number.isFinite(mean[j]!)) {
      throw new Error(`fitStandardizer: feature ${j} has non-finite values in the training rows`);
    }
    std[j] = s > 0 ? s : 1;
  }
  return { mean, std };
}

/** Returns a standardised copy of `values` (rows × cols, row-major). Same arithmetic as the ONNX Sub → Div. */
export function applyStandardizer(s: Standardizer, values: Float64Array, rows: number): Float64Array {
  const cols = s.mean.length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = (values[i * cols + j]! - s.mean[j]!) / s.std[j]!;
  }
  return out;
}
