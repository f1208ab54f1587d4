// Builds ONNX graphs for trained models with onnx-proto, writes them, and verifies them against the TypeScript model
// with onnxruntime-node. Inputs and outputs are float64 so the exported model reproduces the TS one to ~1e-15.
import { readFile, writeFile } from "node:fs/promises";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { GradientBoostedTreesModel } from "./gradientBoostedTrees.ts";
import type { LogisticRegressionModel } from "./logisticRegression.ts";
import { predictProba, type TrainedModel } from "./model.ts";
import { TickflowError } from "../core/errors.ts";

const { onnx } = onnxProto;
type IModelProto = OnnxTypes.IModelProto;
type INodeProto = OnnxTypes.INodeProto;
type ITensorProto = OnnxTypes.ITensorProto;
type IAttributeProto = OnnxTypes.IAttributeProto;

/** Graph input: features, float64 [N, F] in featureNames order. */
export const ONNX_INPUT = "features";
/** Graph output: probability of class 1, float64 [N, 1]. */
export const ONNX_OUTPUT = "probability";
/** Largest |onnx - ts| accepted by verifyOnnx. */
export const ONNX_TOLERANCE = 1e-6;

const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
const ML_DOMAIN = "ai.onnx.ml";

/** Identity and provenance stored in the file's metadata_props, read back by OnnxScorer. */
export interface OnnxModelMetadata {
  readonly modelId: string;
  readonly name: string;
  readonly version: number;
  readonly pipeline?: string;
}

/** Metadata keys written into every exported model. */
export const METADATA_KEYS = {
  featureNames: "feature_names",
  modelId: "model_id",
  name: "model_name",
  version: "model_version",
  kind: "model_kind",
  pipeline: "pipeline",
  format: "tickflow_format",
} as const;

/** Builds the ONNX ModelProto for a trained model (no I/O). */
export function buildOnnxModel(model: TrainedModel, meta: OnnxModelMetadata): IModelProto {
  const f = model.featureNames.length;
  const { nodes, initializers, mlOpset } = model.kind === "logreg" ? logisticRegressionGraph(model) : treeEnsembleGraph(model);
  const metadata: Record<string, string> = {
    [METADATA_KEYS.featureNames]: JSON.stringify(model.featureNames),
    [METADATA_KEYS.modelId]: meta.modelId,
    [METADATA_KEYS.name]: meta.name,
    [METADATA_KEYS.version]: String(meta.version),
    [METADATA_KEYS.kind]: model.kind,
    [METADATA_KEYS.format]: "1",
  };
  if (meta.pipeline !== undefined) metadata[METADATA_KEYS.pipeline] = meta.pipeline;
  const opsetImport = [{ domain: "", version: 17 }];
  if (mlOpset !== undefined) opsetImport.push({ domain: ML_DOMAIN, version: mlOpset });
  return {
    irVersion: 8,
    producerName: "tickflow",
    producerVersion: "1",
    modelVersion: meta.version,
    docString: `${model.kind} model ${meta.modelId}`,
    opsetImport,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: meta.name,
      node: nodes,
      initializer: initializers,
      input: [doubleValueInfo(ONNX_INPUT, [{ dimParam: "N" }, { dimValue: f }])],
      output: [doubleValueInfo(ONNX_OUTPUT, [{ dimParam: "N" }, { dimValue: 1 }])],
    },
  };
}

/** Serialises a ModelProto to bytes. */
export function encodeOnnxModel(proto: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

/** Builds and writes `<path>`; returns the bytes written (hash them for the registry). */
export async function exportOnnx(model: TrainedModel, path: string, meta: OnnxModelMetadata): Promise<Uint8Array> {
  const bytes = encodeOnnxModel(buildOnnxModel(model, meta));
  await writeFile(path, bytes);
  return bytes;
}

/** Raised when an exported model disagrees with the TypeScript model beyond ONNX_TOLERANCE. */
export class OnnxVerificationError extends TickflowError {
  static override readonly code = "ONNX_VERIFICATION_FAILED";
  override readonly name = "OnnxVerificationError";
  constructor(
    message: string,
    readonly maxAbsDiff: number,
  ) {
    super(message);
  }
}

export interface OnnxVerification {
  readonly maxAbsDiff: number;
  readonly rows: number;
  /** Row with the largest difference (-1 when rows = 0). */
  readonly worstRow: number;
}

/**
 * Loads `file` with onnxruntime-node, scores X and compares with the TypeScript model's probabilities.
 * Throws OnnxVerificationError above `tolerance` (default 1e-6); the message carries the measured figure.
 * @param X held-out rows, row-major n × features, in model.featureNames order
 */
export async function verifyOnnx(model: TrainedModel, file: string, X: Float64Array, n: number, tolerance = ONNX_TOLERANCE): Promise<OnnxVerification> {
  const f = model.featureNames.length;
  if (X.length !== n * f) throw new Error(`verifyOnnx: X has ${X.length} numbers, expected ${n} × ${f}`);
  const expected = predictProba(model, X, n);
  const session = await ort.InferenceSession.create(await readFile(file));
  let actual: Float64Array;
  try {
    const result = await session.run({ [ONNX_INPUT]: new ort.Tensor("float64", X, [n, f]) });
    const out = result[ONNX_OUTPUT];
    if (out === undefined || !(out.data instanceof Float64Array)) {
      throw new OnnxVerificationError(`verifyOnnx: ${file} has no float64 output "${ONNX_OUTPUT}"`, Number.NaN);
    }
    actual = out.data;
  } finally {
    await session.release();
  }
  let maxAbsDiff = 0;
  let worstRow = -1;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= maxAbsDiff)) {
      maxAbsDiff = d; // NaN also lands here and fails below
      worstRow = i;
    }
  }
  if (!(maxAbsDiff <= tolerance)) {
    throw new OnnxVerificationError(
      `verifyOnnx: ${file} differs from the TypeScript ${model.kind} model by max abs ${maxAbsDiff} (row ${worstRow}: onnx ${actual[worstRow]}, ts ${expected[worstRow]}) over ${n} rows; limit ${tolerance}. The export is rejected.`,
      maxAbsDiff,
    );
  }
  return { maxAbsDiff, rows: n, worstRow };
}

interface GraphParts {
  nodes: INodeProto[];
  initializers: ITensorProto[];
  mlOpset?: number;
}

/** features → Sub(mean) → Div(std) → MatMul(W) → Add(b) → Sigmoid, the same arithmetic as predictLogisticRegression. */
function logisticRegressionGraph(model: LogisticRegressionModel): GraphParts {
  const f = model.weights.length;
  return {
    initializers: [
      doubleTensor("mean", [1, f], model.standardizer.mean),
      doubleTensor("std", [1, f], model.standardizer.std),
      doubleTensor("weights", [f, 1], model.weights),
      doubleTensor("intercept", [1], Float64Array.of(model.intercept)),
    ],
    nodes: [
      { opType: "Sub", input: [ONNX_INPUT, "mean"], output: ["centered"], name: "center" },
      { opType: "Div", input: ["centered", "std"], output: ["standardized"], name: "scale" },
      { opType: "MatMul", input: ["standardized", "weights"], output: ["dot"], name: "dot" },
      { opType: "Add", input: ["dot", "intercept"], output: ["logit"], name: "logit" },
      { opType: "Sigmoid", input: ["logit"], output: [ONNX_OUTPUT], name: "sigmoid" },
    ],
  };
}

/**
 * ai.onnx.ml TreeEnsemble (opset 5): double thresholds, leaf weights and output, so routing and sums match the TS
 * model exactly; baseScore is added with a standard Add (opset 5 dropped base_values), then Sigmoid.
 */
function treeEnsembleGraph(model: GradientBoostedTreesModel): GraphParts {
  const nodesFeatureIds: number[] = [];
  const nodesSplits: number[] = [];
  const nodesTrueIds: number[] = [];
  const nodesTrueLeafs: number[] = [];
  const nodesFalseIds: number[] = [];
  const nodesFalseLeafs: number[] = [];
  const leafTargetIds: number[] = [];
  const leafWeights: number[] = [];
  const treeRoots: number[] = [];

  for (const tree of model.trees) {
    // Interior nodes and leaves are numbered separately in opset 5; map TS node ids to those numbers.
    const interiorId = new Map<number, number>();
    const leafId = new Map<number, number>();
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.feature[i]! >= 0) interiorId.set(i, nodesFeatureIds.length + interiorId.size);
      else leafId.set(i, leafWeights.length + leafId.size);
    }
    if (tree.feature[0]! < 0) {
      // A single-leaf tree still needs one interior node: both branches lead to the same leaf.
      const leaf = leafWeights.length;
      treeRoots.push(nodesFeatureIds.length);
      nodesFeatureIds.push(0);
      nodesSplits.push(0);
      nodesTrueIds.push(leaf);
      nodesTrueLeafs.push(1);
      nodesFalseIds.push(leaf);
      nodesFalseLeafs.push(1);
      leafTargetIds.push(0);
      leafWeights.push(tree.value[0]!);
      continue;
    }
    treeRoots.push(interiorId.get(0)!);
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.feature[i]! < 0) {
        leafTargetIds.push(0);
        leafWeights.push(tree.value[i]!);
        continue;
      }
      const l = tree.left[i]!;
      const r = tree.right[i]!;
      nodesFeatureIds.push(tree.feature[i]!);
      nodesSplits.push(tree.threshold[i]!);
      nodesTrueIds.push(tree.feature[l]! >= 0 ? interiorId.get(l)! : leafId.get(l)!);
      nodesTrueLeafs.push(tree.feature[l]! >= 0 ? 0 : 1);
      nodesFalseIds.push(tree.feature[r]! >= 0 ? interiorId.get(r)! : leafId.get(r)!);
      nodesFalseLeafs.push(tree.feature[r]! >= 0 ? 0 : 1);
    }
  }
  const interior = nodesFeatureIds.length;
  const ensemble: INodeProto = {
    opType: "TreeEnsemble",
    domain: ML_DOMAIN,
    name: "trees",
    input: [ONNX_INPUT],
    output: ["tree_sum"],
    attribute: [
      intAttr("aggregate_function", 1), // SUM
      intAttr("n_targets", 1),
      intAttr("post_transform", 0), // NONE
      intsAttr("tree_roots", treeRoots),
      intsAttr("nodes_featureids", nodesFeatureIds),
      tensorAttr("nodes_splits", doubleTensor("", [interior], Float64Array.from(nodesSplits))),
      tensorAttr("nodes_modes", uint8Tensor([interior], new Uint8Array(interior))), // 0 = BRANCH_LEQ
      intsAttr("nodes_truenodeids", nodesTrueIds),
      intsAttr("nodes_trueleafs", nodesTrueLeafs),
      intsAttr("nodes_falsenodeids", nodesFalseIds),
      intsAttr("nodes_falseleafs", nodesFalseLeafs),
      intsAttr("leaf_targetids", leafTargetIds),
      tensorAttr("leaf_weights", doubleTensor("", [leafWeights.length], Float64Array.from(leafWeights))),
    ],
  };
  return {
    mlOpset: 5,
    initializers: [doubleTensor("base_score", [1], Float64Array.of(model.baseScore))],
    nodes: [
      ensemble,
      { opType: "Add", input: ["tree_sum", "base_score"], output: ["logit"], name: "base_score" },
      { opType: "Sigmoid", input: ["logit"], output: [ONNX_OUTPUT], name: "sigmoid" },
    ],
  };
}

function doubleValueInfo(name: string, dims: OnnxTypes.TensorShapeProto.IDimension[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DOUBLE, shape: { dim: dims } } } };
}

function doubleTensor(name: string, dims: number[], data: Float64Array): ITensorProto {
  const raw = new Uint8Array(data.length * 8);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat64(i * 8, v, true)); // ONNX raw_data is little-endian
  return { name, dims, dataType: DOUBLE, rawData: raw };
}

function uint8Tensor(dims: number[], data: Uint8Array): ITensorProto {
  return { dims, dataType: onnx.TensorProto.DataType.UINT8, rawData: data };
}

function intAttr(name: string, i: number): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function intsAttr(name: string, ints: number[]): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

function tensorAttr(name: string, t: ITensorProto): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.TENSOR, t };
}
