// The leakage guard of training: a feature that knows the label (the close shifted forward, or anything that
// predicts a forward return far better than the past can) stops training with an explanation, before a model is
// fitted on it and a backtest reads millions of percent.
import { TickflowError } from "../core/errors.ts";
import { auc } from "./metrics.ts";

/** Training refused: a feature leaks the label. The message names the feature and the evidence. */
export class LeakageError extends TickflowError {
  static override readonly code = "FEATURE_LEAKAGE";
  override readonly name = "LeakageError";
}

export interface LeakageInput {
  readonly featureNames: readonly string[];
  /** Row-major rows × features, rows in time order. */
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly symbols: readonly string[];
  readonly closes: Float64Array;
  /** The label horizon in bars. */
  readonly horizon: number;
  /** Rows [0, trainEnd) are checked: the earliest training rows, part of every fold's training. */
  readonly trainEnd: number;
  /** A single feature's AUC (or 1 − AUC) above this is beyond what a forward-return label allows. Default 0.9. */
  readonly maxAuc?: number;
}

/** Why each leaking feature leaks; empty when none does. */
export function leakageProblems(d: LeakageInput): string[] {
  const f = d.featureNames.length;
  const n = Math.min(d.trainEnd, d.y.length);
  const maxAuc = d.maxAuc ?? 0.9;
  // Rows of each symbol in time order, to look k bars ahead within the symbol.
  const next = new Map<number, number[]>();
  const bySymbol = new Map<string, number[]>();
  for (let i = 0; i < d.y.length; i++) (bySymbol.get(d.symbols[i]!) ?? bySymbol.set(d.symbols[i]!, []).get(d.symbols[i]!)!).push(i);
  for (const rows of bySymbol.values()) rows.forEach((row, j) => next.set(row, rows.slice(j + 1, j + 1 + d.horizon)));
  const out: string[] = [];
  for (let j = 0; j < f; j++) {
    const name = d.featureNames[j]!;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = d.X[i * f + j]!;
    for (let k = 1; k <= d.horizon; k++) {
      let comparable = 0;
      let equal = 0;
      for (let i = 0; i < n; i++) {
        const ahead = next.get(i)?.[k - 1];
        if (ahead === undefined) continue;
        comparable++;
        if (x[i] === d.closes[ahead]) equal++;
      }
      if (comparable > 0 && equal >= 0.95 * comparable) {
        out.push(
          `feature ${name} equals the close ${k} bar${k > 1 ? "s" : ""} later on ${equal} of ${comparable} training rows: it is the future the label is made of`,
        );
        break;
      }
    }
    if (out.at(-1)?.startsWith(`feature ${name} `)) continue;
    const a = auc(d.y.subarray(0, n), x);
    if (Number.isFinite(a) && Math.max(a, 1 - a) > maxAuc)
      out.push(
        `feature ${name} alone predicts the label with AUC ${a.toFixed(4)} on the training rows, far beyond what a ${d.horizon}-bar forward return allows from the past (limit ${maxAuc}): it is computed from later bars`,
      );
  }
  return out;
}
