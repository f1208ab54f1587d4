// The trained-model union every other models/ file accepts, and the one prediction entry point over it.
import { predictGradientBoostedTrees, type GradientBoostedTreesModel } from "./gradientBoostedTrees.ts";
import { predictLogisticRegression, type LogisticRegressionModel } from "./logisticRegression.ts";

export type TrainedModel = LogisticRegressionModel | GradientBoostedTreesModel;
export type ModelKind = TrainedModel["kind"];
export const MODEL_KINDS: readonly ModelKind[] = ["logreg", "gbt"];

/** P(y = 1) per row of X (row-major, n rows, features in model.featureNames order). */
export function predictProba(model: TrainedModel, X: Float64Array, n: number): Float64Array {
  switch (model.kind) {
    case "logreg":
      return predictLogisticRegression(model, X, n);
    case "gbt":
      return predictGradientBoostedTrees(model, X, n);
  }
}
