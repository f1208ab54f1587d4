// Row-at-a-time scoring on top of OnnxScorer: one feature vector in, one probability out, micro-batched.
import { MicroBatcher, type MicroBatcherOptions } from "./microBatcher.ts";
import type { OnnxScorer } from "./onnxScorer.ts";

/**
 * A MicroBatcher whose requests are feature rows (length = scorer.featureCount) and results probabilities.
 * @example const b = batchedScorer(scorer, { maxBatch: 64, maxDelayMs: 2 }); const p = await b.submit(row);
 */
export function batchedScorer(scorer: OnnxScorer, options: MicroBatcherOptions): MicroBatcher<Float64Array, number> {
  const f = scorer.featureCount;
  return new MicroBatcher<Float64Array, number>(async (rows) => {
    const packed = new Float64Array(rows.length * f);
    rows.forEach((row, i) => {
      if (row.length !== f) throw new Error(`model ${scorer.info.modelId}: row has ${row.length} features, expected ${f}`);
      packed.set(row, i * f);
    });
    return Array.from(await scorer.score(packed, rows.length));
  }, options);
}
