// Exports a softmax regression as ONNX (features → MatMul → Add → Softmax) and checks the file with onnxruntime-node
// against the TypeScript evaluation. float32 like most ONNX consumers, so agreement is to ~1e-6, not bit for bit.
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { OnnxVerificationError } from "./onnxExport.ts";
import { argmax, predictSoftmaxRow, type SoftmaxRegressionModel, type SparseRow } from "./softmaxRegression.ts";

const { onnx } = onnxProto;

/** Graph input: dense features, float32 [N, dimension]. */
export const SOFTMAX_ONNX_INPUT = "features";
/** Graph output: class probabilities, float32 [N, classes]. */
export const SOFTMAX_ONNX_OUTPUT = "probabilities";
/** Largest |onnx - ts| probability accepted by verifySoftmaxOnnx. */
export const SOFTMAX_ONNX_TOLERANCE = 1e-5;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/**
 * Builds the ModelProto bytes; `metadata` lands in metadata_props (e.g. the feature spec, so the file is self-describing).
 * @example const bytes = encodeSoftmaxOnnx(model, "finance-sentiment-v1", { classes: '["negative","positive","neutral"]' });
 */
export function encodeSoftmaxOnnx(model: SoftmaxRegressionModel, name: string, metadata: Record<string, string> = {}): Uint8Array {
  const { dimension: d, classes: k } = model;
  const valueInfo = (n: string, width: number): OnnxTypes.IValueInfoProto => ({
    name: n,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
  });
  const proto: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: "tickflow",
    producerVersion: "1",
    modelVersion: 1,
    docString: `softmax regression ${name}: ${d} features, ${k} classes`,
    opsetImport: [{ domain: "", version: 17 }],
    metadataProps: Object.entries({ model_name: name, model_kind: "softmax", ...metadata }).map(([key, value]) => ({ key, value })),
    graph: {
      name,
      initializer: [floatTensor("weights", [d, k], model.weights), floatTensor("bias", [k], model.bias)],
      node: [
        { opType: "MatMul", input: [SOFTMAX_ONNX_INPUT, "weights"], output: ["dot"], name: "dot" },
        { opType: "Add", input: ["dot", "bias"], output: ["logits"], name: "logits" },
        {
          opType: "Softmax",
          input: ["logits"],
          output: [SOFTMAX_ONNX_OUTPUT],
          name: "softmax",
          attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
      ],
      input: [valueInfo(SOFTMAX_ONNX_INPUT, d)],
      output: [valueInfo(SOFTMAX_ONNX_OUTPUT, k)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

/** The weights and bias stored in a file written by encodeSoftmaxOnnx. */
export function decodeSoftmaxOnnx(bytes: Uint8Array): SoftmaxRegressionModel {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const get = (n: string) => {
    const t = graph?.initializer?.find((i) => i.name === n);
    if (!t?.rawData || !t.dims) throw new Error(`softmax ONNX: initializer "${n}" is missing`);
    return { dims: t.dims.map(Number), data: new Float32Array(new Uint8Array(t.rawData).buffer) };
  };
  const w = get("weights");
  const b = get("bias");
  return { kind: "softmax", dimension: w.dims[0]!, classes: w.dims[1]!, weights: w.data, bias: b.data };
}

export interface SoftmaxOnnxVerification {
  readonly rows: number;
  readonly maxAbsDiff: number;
  /** Rows whose argmax class differs between the file and the TypeScript model. */
  readonly labelMismatches: number;
}

/**
 * Scores `rows` with onnxruntime-node (in batches, densified) and with the TypeScript model; throws
 * OnnxVerificationError when a probability differs by more than `tolerance` or a label differs.
 */
export async function verifySoftmaxOnnx(
  model: SoftmaxRegressionModel,
  bytes: Uint8Array,
  rows: readonly SparseRow[],
  tolerance = SOFTMAX_ONNX_TOLERANCE,
): Promise<SoftmaxOnnxVerification> {
  const { dimension: d, classes: k } = model;
  const session = await ort.InferenceSession.create(bytes);
  let maxAbsDiff = 0;
  let labelMismatches = 0;
  let worst = "";
  const batch = 32;
  const buffer = new Float32Array(batch * d); // reused: only the cells a batch set are cleared after it
  try {
    for (let start = 0; start < rows.length; start += batch) {
      const part = rows.slice(start, start + batch);
      const dense = buffer.subarray(0, part.length * d);
      part.forEach((r, i) => r.indices.forEach((j, n) => (dense[i * d + j] = r.values[n]!)));
      const out = (await session.run({ [SOFTMAX_ONNX_INPUT]: new ort.Tensor("float32", dense, [part.length, d]) }))[SOFTMAX_ONNX_OUTPUT];
      part.forEach((r, i) => r.indices.forEach((j) => (dense[i * d + j] = 0)));
      const data = out?.data;
      if (!(data instanceof Float32Array)) throw new OnnxVerificationError(`verifySoftmaxOnnx: no float32 output "${SOFTMAX_ONNX_OUTPUT}"`, Number.NaN);
      part.forEach((r, i) => {
        const ts = predictSoftmaxRow(model, r); // as served: float64 inputs; the file gets them rounded to float32

        const onnxRow = data.subarray(i * k, i * k + k);
        for (let c = 0; c < k; c++) {
          const diff = Math.abs(onnxRow[c]! - ts[c]!);
          if (!(diff <= maxAbsDiff)) {
            maxAbsDiff = diff;
            worst = `row ${start + i} class ${c}: onnx ${onnxRow[c]}, ts ${ts[c]}`;
          }
        }
        if (argmax(onnxRow) !== argmax(ts)) labelMismatches++;
      });
    }
  } finally {
    await session.release();
  }
  if (!(maxAbsDiff <= tolerance) || labelMismatches > 0) {
    throw new OnnxVerificationError(
      `verifySoftmaxOnnx: the ONNX file differs from the TypeScript model over ${rows.length} rows: max abs ${maxAbsDiff} (${worst}; limit ${tolerance}), ${labelMismatches} label(s) differ. The export is rejected.`,
      maxAbsDiff,
    );
  }
  return { rows: rows.length, maxAbsDiff, labelMismatches };
}

function floatTensor(name: string, dims: number[], data: Float32Array): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true)); // ONNX raw_data is little-endian
  return { name, dims, dataType: FLOAT, rawData: raw };
}
