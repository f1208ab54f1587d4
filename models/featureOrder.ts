// The one rule for feature lists: a model scores rows only in the feature order it was trained on.
import { TickflowError } from "../core/errors.ts";

/** The model's declared features differ from what the caller will supply. */
export class FeatureMismatchError extends TickflowError {
  static override readonly code = "FEATURE_MISMATCH";
  static override readonly refusal = true;
  override readonly name = "FeatureMismatchError";
  constructor(
    message: string,
    /** Position of the first difference. */
    readonly index: number,
  ) {
    super(message);
  }
}

/**
 * Throws FeatureMismatchError naming the first position where `supplied` differs from `declared`.
 * @example checkFeatureOrder("m1", ["a", "b"], ["a", "c"]) // feature 1: model expects "b", caller supplies "c"
 */
export function checkFeatureOrder(modelId: string, declared: readonly string[], supplied: readonly string[]): void {
  const n = Math.max(declared.length, supplied.length);
  for (let i = 0; i < n; i++) {
    if (declared[i] === supplied[i]) continue;
    const expects = declared[i] === undefined ? "nothing (it has only " + declared.length + " features)" : `"${declared[i]}"`;
    const gets = supplied[i] === undefined ? "nothing (only " + supplied.length + " supplied)" : `"${supplied[i]}"`;
    throw new FeatureMismatchError(
      `model ${modelId}: feature ${i} differs: model expects ${expects}, caller supplies ${gets}; the pipeline's feature list must match the model's order`,
      i,
    );
  }
}
