// Reads a model file written by exportOnnx back into the TypeScript model it was built from, so the synchronous
// pipeline can evaluate exactly the parameters in the file (onnxruntime-node only offers an async run).
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import type { GradientBoostedTreesModel, RegressionTree } from "./gradientBoostedTrees.ts";
import type { LogisticRegressionModel } from "./logisticRegression.ts";
import type { TrainedModel } from "./model.ts";
import { ModelLoadError, readOnnxModelInfo, type OnnxModelInfo } from "./onnxScorer.ts";

const { onnx } = onnxProto;

/**
 * Decodes an exported tickflow model (logreg graph or TreeEnsemble-5 graph) into its TrainedModel.
 * Training-only fields are not in the file: logreg `iterations` reads 0, gbt `params` holds the defaults
 * with `nTrees`/`maxDepth` taken from the trees.
 * @throws ModelLoadError when the bytes are not a graph exportOnnx writes
 */
export function decodeOnnxModel(bytes: Uint8Array, source: string): { info: OnnxModelInfo; model: TrainedModel } {
  const info = readOnnxModelInfo(bytes, source);
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph!;
  const fail = (what: string): never => {
    throw new ModelLoadError(`model ${source}: ${what}; only graphs written by exportOnnx can be served`, source);
  };
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const ops = (graph.node ?? []).map((n) => n.opType ?? "");
  if (info.kind === "logreg") {
    if (ops.join(",") !== "Sub,Div,MatMul,Add,Sigmoid") fail(`logreg graph has nodes [${ops.join(", ")}], expected [Sub, Div, MatMul, Add, Sigmoid]`);
    const f = info.featureNames.length;
    const get = (name: string, length: number): Float64Array => {
      const t = initializers.get(name) ?? fail(`initializer "${name}" is missing`);
      const data = doubles(t, source);
      if (data.length !== length) fail(`initializer "${name}" has ${data.length} values, expected ${length}`);
      return data;
    };
    const model: LogisticRegressionModel = {
      kind: "logreg",
      featureNames: [...info.featureNames],
      standardizer: { mean: get("mean", f), std: get("std", f) },
      weights: get("weights", f),
      intercept: get("intercept", 1)[0]!,
      iterations: 0,
      converged: true,
    };
    return { info, model };
  }
  if (info.kind === "gbt") {
    if (ops.join(",") !== "TreeEnsemble,Add,Sigmoid") fail(`gbt graph has nodes [${ops.join(", ")}], expected [TreeEnsemble, Add, Sigmoid]`);
    const base = initializers.get("base_score") ?? fail(`initializer "base_score" is missing`);
    const ensemble = graph.node![0]!;
    const attrs = new Map((ensemble.attribute ?? []).map((a) => [a.name ?? "", a]));
    const ints = (name: string): number[] => (attrs.get(name) ?? fail(`TreeEnsemble attribute ${name} is missing`)).ints!.map(Number);
    const tensor = (name: string): OnnxTypes.ITensorProto =>
      (attrs.get(name) ?? fail(`TreeEnsemble attribute ${name} is missing`)).t ?? fail(`TreeEnsemble attribute ${name} is not a tensor`);
    const roots = ints("tree_roots");
    const featureIds = ints("nodes_featureids");
    const splits = doubles(tensor("nodes_splits"), source);
    const modes = tensor("nodes_modes").rawData ?? new Uint8Array(0);
    const trueIds = ints("nodes_truenodeids");
    const trueLeafs = ints("nodes_trueleafs");
    const falseIds = ints("nodes_falsenodeids");
    const falseLeafs = ints("nodes_falseleafs");
    const leafWeights = doubles(tensor("leaf_weights"), source);
    const n = featureIds.length;
    if ([splits.length, modes.length, trueIds.length, trueLeafs.length, falseIds.length, falseLeafs.length].some((len) => len !== n)) {
      fail("TreeEnsemble node attributes have different lengths");
    }
    if (modes.some((m) => m !== 0)) fail("TreeEnsemble uses a node mode other than BRANCH_LEQ");
    if (featureIds.some((j) => j < 0 || j >= info.featureNames.length)) fail("TreeEnsemble refers to a feature index outside feature_names");

    let maxDepth = 0;
    const trees: RegressionTree[] = roots.map((root) => {
      const feature: number[] = [];
      const threshold: number[] = [];
      const left: number[] = [];
      const right: number[] = [];
      const value: number[] = [];
      // Pre-order rebuild, numbering nodes the way the trainer does (root = 0).
      const addLeaf = (leaf: number): number => {
        if (!(leaf >= 0 && leaf < leafWeights.length)) fail(`TreeEnsemble leaf ${leaf} does not exist`);
        feature.push(-1);
        threshold.push(0);
        left.push(-1);
        right.push(-1);
        value.push(leafWeights[leaf]!);
        return feature.length - 1;
      };
      const addInterior = (i: number, depth: number): number => {
        if (!(i >= 0 && i < n)) fail(`TreeEnsemble node ${i} does not exist`);
        if (depth > 64) fail("TreeEnsemble tree deeper than 64 (a cycle?)");
        if (trueLeafs[i] === 1 && falseLeafs[i] === 1 && trueIds[i] === falseIds[i]) return addLeaf(trueIds[i]!); // single-leaf tree
        maxDepth = Math.max(maxDepth, depth + 1);
        const id = feature.length;
        feature.push(featureIds[i]!);
        threshold.push(splits[i]!);
        left.push(-1);
        right.push(-1);
        value.push(0);
        left[id] = trueLeafs[i] === 1 ? addLeaf(trueIds[i]!) : addInterior(trueIds[i]!, depth + 1);
        right[id] = falseLeafs[i] === 1 ? addLeaf(falseIds[i]!) : addInterior(falseIds[i]!, depth + 1);
        return id;
      };
      addInterior(root, 0);
      return {
        feature: Int32Array.from(feature),
        threshold: Float64Array.from(threshold),
        left: Int32Array.from(left),
        right: Int32Array.from(right),
        value: Float64Array.from(value),
      };
    });
    const model: GradientBoostedTreesModel = {
      kind: "gbt",
      featureNames: [...info.featureNames],
      baseScore: doubles(base, source)[0] ?? fail(`initializer "base_score" is empty`),
      trees,
      params: { nTrees: trees.length, maxDepth, learningRate: 0.1, minSamplesLeaf: 20, l2: 1, maxBins: 64, minGain: 0, subsample: 1, seed: 1 },
    };
    return { info, model };
  }
  return fail(`model_kind "${info.kind}" is not logreg or gbt`);
}

function doubles(t: OnnxTypes.ITensorProto, source: string): Float64Array {
  if (t.dataType !== onnx.TensorProto.DataType.DOUBLE) {
    throw new ModelLoadError(`model ${source}: tensor "${t.name ?? ""}" is not double; re-export the model`, source);
  }
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length % 8 !== 0)
      throw new ModelLoadError(`model ${source}: tensor "${t.name ?? ""}" has ${t.rawData.length} raw bytes, not a multiple of 8`, source);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out = new Float64Array(t.rawData.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  return Float64Array.from(t.doubleData ?? []);
}
