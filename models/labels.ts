// Labels from a close-price series that look at most `horizon` bars ahead; rows without a full horizon get NaN.

/**
 * 1 when the return from bar i to bar i + horizon exceeds `threshold`, else 0; NaN for the last `horizon` rows.
 * @example forwardReturnLabel(new Float64Array([1, 2, 1.5]), 1) // [1, 0, NaN]
 * @param closes close price per bar, in time order
 * @param horizon bars ahead (integer >= 1)
 * @param threshold minimum simple return counted as "up" (default 0, strictly greater)
 */
export function forwardReturnLabel(closes: Float64Array, horizon: number, threshold = 0): Float64Array {
  assertHorizon(horizon);
  const out = new Float64Array(closes.length).fill(Number.NaN);
  for (let i = 0; i + horizon < closes.length; i++) {
    const r = closes[i + horizon]! / closes[i]! - 1;
    if (Number.isFinite(r)) out[i] = r > threshold ? 1 : 0;
  }
  return out;
}

/** Barriers as simple returns from the entry close: upper take-profit and lower stop-loss (both > 0). */
export interface TripleBarrierOptions {
  readonly horizon: number;
  readonly upper: number;
  readonly lower: number;
  /** Bar highs/lows to test barrier touches intrabar; when absent, closes are used. */
  readonly highs?: Float64Array;
  readonly lows?: Float64Array;
}

/**
 * Triple-barrier label (López de Prado): +1 if the upper barrier is touched first within `horizon` bars,
 * -1 if the lower one is, 0 if neither (vertical barrier). A bar touching both counts as -1 (conservative).
 * Rows without `horizon` bars ahead are NaN, even if a barrier was already touched, so the label set does not
 * depend on how far the recording happens to run.
 * @example tripleBarrierLabel(closes, { horizon: 10, upper: 0.01, lower: 0.01 })
 */
export function tripleBarrierLabel(closes: Float64Array, options: TripleBarrierOptions): Float64Array {
  const { horizon, upper, lower } = options;
  assertHorizon(horizon);
  if (!(upper > 0) || !(lower > 0)) {
    throw new Error(`tripleBarrierLabel: upper and lower must be > 0 (simple returns), got ${upper} and ${lower}`);
  }
  const highs = options.highs ?? closes;
  const lows = options.lows ?? closes;
  if (highs.length !== closes.length || lows.length !== closes.length) {
    throw new Error("tripleBarrierLabel: highs and lows must have one entry per close");
  }
  const out = new Float64Array(closes.length).fill(Number.NaN);
  for (let i = 0; i + horizon < closes.length; i++) {
    const up = closes[i]! * (1 + upper);
    const down = closes[i]! * (1 - lower);
    let label = 0;
    for (let j = i + 1; j <= i + horizon; j++) {
      if (lows[j]! <= down) {
        label = -1;
        break;
      }
      if (highs[j]! >= up) {
        label = 1;
        break;
      }
    }
    out[i] = label;
  }
  return out;
}

/** Maps triple-barrier labels to binary targets: 1 for +1, 0 for 0 / -1, NaN stays NaN. */
export function upperBarrierHit(labels: Float64Array): Float64Array {
  return labels.map((l) => (Number.isNaN(l) ? Number.NaN : l === 1 ? 1 : 0));
}

function assertHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be an integer >= 1, got ${horizon}`);
}
