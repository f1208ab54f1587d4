// What `tickflow train` does: recorded features → SQL labels → walk-forward training with an embargo → ONNX export
// verified against the TypeScript model → registry → held-out metrics and a signal backtest.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GradientBoostedTreesParams } from "./gradientBoostedTrees.ts";
import type { LogisticRegressionParams } from "./logisticRegression.ts";
import type { ModelKind } from "./model.ts";
import { loadRecordedFeatures, spanOfBars, type ForwardReturnLabelSpec, type QueryRunner, type RecordedFeatures } from "./recordedFeatures.ts";
import { modelId, type ModelRecord, type ModelRegistry } from "./registry.ts";
import { backtestSignal, type SignalBacktest } from "./signalBacktest.ts";
import { trainAndEvaluate, type TrainResult } from "./train.ts";
import { backtestBaselines, baselineVerdict, classificationBaselines, type BacktestBaselines, type ClassificationBaselines } from "./baselines.ts";
import { LeakageError, leakageProblems } from "./leakage.ts";

export interface TrainFromRecordingOptions {
  /** Pipeline the model is for (its name: the deployment key). */
  readonly pipeline: string;
  readonly runId: string;
  readonly label: ForwardReturnLabelSpec;
  readonly kind: ModelKind;
  readonly features?: readonly string[];
  /**
   * Bars purged from the end of each training range, as event time: every training row within the longest span
   * of this many bars (any symbol) of the first test row is dropped (its label would read test bars). Default (and
   * minimum): the label horizon.
   */
  readonly embargoBars?: number;
  /** The feature node to train on, when the run recorded several. */
  readonly node?: string;
  /** Refuse features that leak the label (models/leakage.ts). Default true. */
  readonly leakCheck?: boolean;
  /** Seed of the permutation and random-signal baselines. Default 1. */
  readonly seed?: number;
  /** Model name in the registry. Default: `<pipeline>-<kind>`. */
  readonly name?: string;
  /** Walk-forward: `trainFrac` (default 0.7) or `folds`. */
  readonly trainFrac?: number;
  readonly folds?: number;
  readonly params?: LogisticRegressionParams | GradientBoostedTreesParams;
  /** Stage names as they start: read, train, export, register. */
  readonly onStage?: (stage: TrainStage, detail: string) => void;
}

export type TrainStage = "read" | "train" | "register" | "done";

export interface TrainFromRecordingResult {
  readonly record: ModelRecord;
  readonly result: TrainResult;
  readonly data: Omit<RecordedFeatures, "X" | "y" | "timestamps" | "symbols" | "nextReturn" | "closes"> & { readonly rows: number };
  /** The purge/embargo between training and test rows, in event time. */
  readonly embargoNs: bigint;
  readonly backtest: SignalBacktest;
  /** What the held-out figures must beat, and which of them the model does not (empty: it beats them all). */
  readonly baselines: { readonly classification: ClassificationBaselines; readonly backtest: BacktestBaselines; readonly fails: readonly string[] };
}

/**
 * @example const r = await trainFromRecording(db, registry, { pipeline: "momentum-bars", runId, label: parseLabelSpec("fwd_return:5"), kind: "logreg" });
 * @throws OnnxVerificationError when the export differs from the TS model by more than 1e-6 (nothing is registered)
 */
export async function trainFromRecording(db: QueryRunner, registry: ModelRegistry, o: TrainFromRecordingOptions): Promise<TrainFromRecordingResult> {
  o.onStage?.("read", `features of run ${o.runId}`);
  const data = await loadRecordedFeatures(db, {
    runId: o.runId,
    label: o.label,
    ...(o.features ? { features: o.features } : {}),
    ...(o.node !== undefined ? { node: o.node } : {}),
  });
  if (data.y.length < 50) throw new Error(`run ${o.runId}: only ${data.y.length} complete labelled rows; record a longer run`);
  if (o.embargoBars !== undefined && o.embargoBars < o.label.horizon)
    throw new Error(`embargo ${o.embargoBars} bars is shorter than the label horizon ${o.label.horizon}: training labels would read test bars`);
  const embargoNs =
    o.embargoBars === undefined || o.embargoBars === o.label.horizon
      ? data.horizonNs
      : spanOfBars(
          data.symbols.map((symbol, i) => ({ symbol, ts: data.timestamps[i]! })),
          o.embargoBars,
        );
  if (o.leakCheck !== false) {
    const leaks = leakageProblems({ ...data, horizon: o.label.horizon, trainEnd: Math.floor(data.y.length / 2) });
    if (leaks.length)
      throw new LeakageError(`run ${o.runId}: ${leaks.join("; ")}. Drop it from --features, or pass --no-leak-check if it is known at the row's time`);
  }
  const name = o.name ?? `${o.pipeline}-${o.kind}`;
  const version = await registry.nextVersion(name, o.pipeline);
  const id = modelId(name, version);
  const dir = await mkdtemp(join(tmpdir(), "tickflow-train-"));
  try {
    o.onStage?.("train", `${o.kind} on ${data.y.length} rows × ${data.featureNames.length} features`);
    const split = o.folds !== undefined ? { folds: o.folds, embargo: { ns: embargoNs } } : { trainFrac: o.trainFrac ?? 0.7, embargo: { ns: embargoNs } };
    const common = {
      X: data.X,
      y: data.y,
      timestamps: data.timestamps,
      featureNames: data.featureNames,
      split,
      export: { path: join(dir, `${id}.onnx`), meta: { modelId: id, name, version, pipeline: o.pipeline } },
    };
    const result =
      o.kind === "logreg"
        ? await trainAndEvaluate({ ...common, kind: "logreg", params: o.params as LogisticRegressionParams })
        : await trainAndEvaluate({ ...common, kind: "gbt", params: o.params as GradientBoostedTreesParams });
    const test = result.folds[result.folds.length - 1]!.test;
    const testSymbols = data.symbols.slice(test.start, test.end);
    const testReturns = data.nextReturn.subarray(test.start, test.end);
    const backtest = backtestSignal(result.heldOut.predictions, testSymbols, testReturns);
    const train = result.folds[result.folds.length - 1]!.train;
    const classification = classificationBaselines(data.y.subarray(train.start, train.end), result.heldOut.labels, result.heldOut.predictions, {
      seed: o.seed ?? 1,
    });
    const randomSignals = backtestBaselines(result.heldOut.predictions, testSymbols, testReturns, backtest.strategyReturn, { seed: (o.seed ?? 1) + 1 });
    const fails = baselineVerdict(result.heldOut.metrics, classification, {
      ...randomSignals,
      buyAndHoldReturn: backtest.buyAndHoldReturn,
      modelReturn: backtest.strategyReturn,
    });
    o.onStage?.("register", id);
    const registration = result.registration!;
    const record = await registry.register({
      ...registration,
      metrics: {
        ...registration.metrics,
        runId: o.runId,
        node: data.node,
        label: `fwd_return:${o.label.horizon}:${o.label.threshold}`,
        embargoNs: embargoNs.toString(),
        backtest,
        baselines: { ...classification, randomSignals, fails },
      },
    });
    o.onStage?.("done", id);
    const { X: _x, y: _y, timestamps: _t, symbols: _s, nextReturn: _n, closes: _c, ...summary } = data;
    return { record, result, data: { ...summary, rows: data.y.length }, embargoNs, backtest, baselines: { classification, backtest: randomSignals, fails } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
