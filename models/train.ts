// One call from recorded features to an evaluated, exported and verified model: what `tickflow train` runs.
import { dropUnlabeled, featureMatrix, sliceRows, walkForwardSplit, type FeatureMatrix, type RowRange, type WalkForwardOptions } from "./dataset.ts";
import { trainGradientBoostedTrees, type GradientBoostedTreesParams } from "./gradientBoostedTrees.ts";
import { trainLogisticRegression, type LogisticRegressionParams } from "./logisticRegression.ts";
import { classificationMetrics, type ClassificationMetrics } from "./metrics.ts";
import { predictProba, type TrainedModel } from "./model.ts";
import { exportOnnx, verifyOnnx, type OnnxModelMetadata } from "./onnxExport.ts";
import type { ModelRegistration } from "./registry.ts";
import { createHash } from "node:crypto";

interface TrainRequestBase {
  /** Row-major features, rows × featureNames.length, rows in time order. */
  readonly X: Float64Array;
  /** 0/1 per row; NaN rows (no label yet) are dropped and counted in `droppedUnlabeled`. */
  readonly y: Float64Array;
  /** Event time per row (ns), non-decreasing. */
  readonly timestamps: BigInt64Array;
  readonly featureNames: readonly string[];
  /** Walk-forward split; the last fold's training rows produce the returned model. */
  readonly split: WalkForwardOptions;
  /** When set, the model is written to `path` as ONNX and verified with onnxruntime on the last held-out fold. */
  readonly export?: { readonly path: string; readonly meta: OnnxModelMetadata };
}

export type TrainRequest =
  | (TrainRequestBase & { readonly kind: "logreg"; readonly params?: LogisticRegressionParams })
  | (TrainRequestBase & { readonly kind: "gbt"; readonly params?: GradientBoostedTreesParams });

export interface FoldResult {
  /** Row ranges in the labelled matrix (after dropping unlabeled rows). */
  readonly train: RowRange;
  readonly test: RowRange;
  readonly metrics: ClassificationMetrics;
}

export interface TrainResult {
  /** Trained on the last fold's training rows. */
  readonly model: TrainedModel;
  readonly folds: readonly FoldResult[];
  /** The last fold's held-out rows: what the returned model never saw. */
  readonly heldOut: {
    readonly metrics: ClassificationMetrics;
    readonly predictions: Float64Array;
    readonly labels: Float64Array;
    readonly timestamps: BigInt64Array;
  };
  /** Event-time span of the returned model's training rows (ns). */
  readonly trainWindow: { readonly startNs: bigint; readonly endNs: bigint };
  readonly droppedUnlabeled: number;
  /** Present when `export` was requested. */
  readonly onnx?: { readonly path: string; readonly sha256: string; readonly maxAbsDiff: number };
  /** Present when `export` was requested: pass to ModelRegistry.register. */
  readonly registration?: ModelRegistration;
}

/**
 * Splits by time, trains one model per fold, scores each held-out fold, and (optionally) exports the last fold's
 * model to ONNX and checks onnxruntime reproduces its held-out predictions within 1e-6 (throws otherwise).
 * @example const r = await trainAndEvaluate({ X, y, timestamps, featureNames, kind: "gbt",
 *   split: { trainFrac: 0.7, embargo: { rows: 10 } }, export: { path, meta: { modelId, name, version, pipeline } } });
 */
export async function trainAndEvaluate(request: TrainRequest): Promise<TrainResult> {
  const all = featureMatrix({ values: request.X, featureNames: request.featureNames, labels: request.y, timestamps: request.timestamps });
  const data = dropUnlabeled(all);
  const folds = walkForwardSplit(data.timestamps, request.split);

  const foldResults: FoldResult[] = [];
  let last: { model: TrainedModel; test: FeatureMatrix; predictions: Float64Array; train: FeatureMatrix } | undefined;
  for (const fold of folds) {
    const train = sliceRows(data, fold.train);
    const test = sliceRows(data, fold.test);
    const model = fit(request, train);
    const predictions = predictProba(model, test.values, test.rows);
    foldResults.push({ train: fold.train, test: fold.test, metrics: classificationMetrics(test.labels, predictions) });
    last = { model, test, predictions, train };
  }
  const { model, test, predictions, train } = last!;
  const trainWindow = { startNs: train.timestamps[0]!, endNs: train.timestamps[train.rows - 1]! };
  const heldOutMetrics = foldResults[foldResults.length - 1]!.metrics;

  let onnx: TrainResult["onnx"];
  let registration: ModelRegistration | undefined;
  if (request.export !== undefined) {
    const bytes = await exportOnnx(model, request.export.path, request.export.meta);
    const verification = await verifyOnnx(model, request.export.path, test.values, test.rows);
    onnx = {
      path: request.export.path,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      maxAbsDiff: verification.maxAbsDiff,
    };
    registration = {
      sourceFile: request.export.path,
      trainStartNs: trainWindow.startNs,
      trainEndNs: trainWindow.endNs,
      metrics: {
        heldOut: heldOutMetrics,
        folds: foldResults.map((f) => f.metrics),
        onnxMaxAbsDiff: verification.maxAbsDiff,
        trainRows: train.rows,
        split: JSON.parse(JSON.stringify(request.split, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as unknown,
        params: request.params ?? {},
      },
    };
  }

  return {
    model,
    folds: foldResults,
    heldOut: { metrics: heldOutMetrics, predictions, labels: test.labels, timestamps: test.timestamps },
    trainWindow,
    droppedUnlabeled: all.rows - data.rows,
    ...(onnx !== undefined ? { onnx } : {}),
    ...(registration !== undefined ? { registration } : {}),
  };
}

function fit(request: TrainRequest, train: FeatureMatrix): TrainedModel {
  switch (request.kind) {
    case "logreg":
      return trainLogisticRegression(train.values, train.labels, train.rows, train.featureNames, request.params);
    case "gbt":
      return trainGradientBoostedTrees(train.values, train.labels, train.rows, train.featureNames, request.params);
  }
}
