// Loads a model file for the pipeline: every onnxruntime check at load, then a synchronous TypeScript evaluator of
// the same file's parameters, cross-checked against onnxruntime on a probe batch before it may serve.
import { readFile } from "node:fs/promises";
import { predictProba, type TrainedModel } from "./model.ts";
import { decodeOnnxModel } from "./onnxImport.ts";
import { ONNX_TOLERANCE } from "./onnxExport.ts";
import { ModelLoadError, NonFiniteOutputError, OnnxScorer, type OnnxScorerOptions } from "./onnxScorer.ts";
import { mulberry32, normalFrom } from "./prng.ts";

/** A loaded, checked model version the `predict` operator scores with; immutable. */
export interface ServingModel {
  /** `<name>-v<version>`. */
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly kind: string;
  readonly featureNames: readonly string[];
  readonly sha256: string;
  /** P(y = 1) for n rows (row-major, featureNames order), synchronously. */
  score(X: Float64Array, n: number): Float64Array;
}

export interface ServingModelOptions extends OnnxScorerOptions {
  /** Rows to probe with (row-major, featureNames order); appended to the built-in probe rows. */
  readonly probe?: { readonly X: Float64Array; readonly n: number };
}

export interface ServingModelLoad {
  readonly model: ServingModel;
  /** Rows scored by both onnxruntime and the TypeScript evaluator, and their largest difference. */
  readonly probeRows: number;
  readonly maxAbsDiff: number;
}

/**
 * Reads `path`, opens it with onnxruntime (file, identity, hash and feature-order checks of OnnxScorer), decodes it
 * into the TypeScript model, and scores a probe batch with both.
 * @throws ModelLoadError (unreadable, not a tickflow model, hash/id mismatch, onnxruntime rejects it, evaluators
 *   disagree above 1e-6), FeatureMismatchError (feature list differs), NonFiniteOutputError (NaN/±Inf on a probe row)
 * @example const { model } = await loadServingModel(record.filePath, { featureNames, expectedSha256: record.sha256 });
 */
export async function loadServingModel(path: string, options: ServingModelOptions): Promise<ServingModelLoad> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ModelLoadError(`model ${path}: cannot read file (${(cause as Error).message})`, path, { cause });
  }
  const scorer = await OnnxScorer.fromBytes(bytes, path, options);
  try {
    const { info, model } = decodeOnnxModel(bytes, path);
    const probe = probeRows(model, options.probe);
    const fromOnnx = await scorer.score(probe.X, probe.n);
    const fromTs = predictProba(model, probe.X, probe.n);
    let maxAbsDiff = 0;
    for (let i = 0; i < probe.n; i++) {
      if (!Number.isFinite(fromTs[i]!)) {
        throw new NonFiniteOutputError(`model ${info.modelId}: TypeScript evaluator gives ${fromTs[i]} for probe row ${i}`, i);
      }
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(fromTs[i]! - fromOnnx[i]!));
    }
    if (!(maxAbsDiff <= ONNX_TOLERANCE)) {
      throw new ModelLoadError(
        `model ${path}: onnxruntime and the TypeScript evaluator differ by ${maxAbsDiff} on the probe batch (limit ${ONNX_TOLERANCE})`,
        path,
      );
    }
    const serving: ServingModel = {
      id: info.modelId,
      name: info.name,
      version: info.version,
      kind: info.kind,
      featureNames: info.featureNames,
      sha256: info.sha256,
      score: (X, n) => predictProba(model, X, n),
    };
    return { model: serving, probeRows: probe.n, maxAbsDiff };
  } finally {
    await scorer.release();
  }
}

/** The first probe rows sit at these multiples of each feature's scale from its centre; the rest are seeded draws. */
const FIXED_STEPS = [0, -3, 3, 10];

/**
 * Deterministic probe rows: values around each feature's training scale (logreg: mean ± k·std) or around the
 * tree thresholds (gbt), plus the caller's rows. Enough to expose NaN weights or an evaluator mismatch.
 */
export function probeRows(model: TrainedModel, extra?: { readonly X: Float64Array; readonly n: number }): { X: Float64Array; n: number } {
  const f = model.featureNames.length;
  const center = new Float64Array(f);
  const scale = new Float64Array(f).fill(1);
  if (model.kind === "logreg") {
    center.set(model.standardizer.mean);
    scale.set(model.standardizer.std);
  } else {
    // Per feature: centre and spread of the thresholds it is split on.
    const lo = new Float64Array(f).fill(Infinity);
    const hi = new Float64Array(f).fill(-Infinity);
    for (const t of model.trees) {
      for (let i = 0; i < t.feature.length; i++) {
        const j = t.feature[i]!;
        if (j < 0) continue;
        lo[j] = Math.min(lo[j]!, t.threshold[i]!);
        hi[j] = Math.max(hi[j]!, t.threshold[i]!);
      }
    }
    for (let j = 0; j < f; j++) {
      if (lo[j]! <= hi[j]!) {
        center[j] = (lo[j]! + hi[j]!) / 2;
        scale[j] = Math.max((hi[j]! - lo[j]!) / 2, Math.abs(center[j]!) * 1e-3, 1e-9);
      }
    }
  }
  const built = 32;
  const n = built + (extra?.n ?? 0);
  const X = new Float64Array(n * f);
  const normal = normalFrom(mulberry32(20240101));
  for (let i = 0; i < built; i++) {
    for (let j = 0; j < f; j++) X[i * f + j] = center[j]! + (i < FIXED_STEPS.length ? FIXED_STEPS[i]! : normal() * 2) * scale[j]!;
  }
  if (extra !== undefined) {
    if (extra.X.length !== extra.n * f) throw new Error(`probeRows: extra probe has ${extra.X.length} numbers, expected ${extra.n} × ${f}`);
    X.set(extra.X, built * f);
  }
  return { X, n };
}
