// A tiny BERT-shaped text classifier, built in code: the same inputs (input_ids, attention_mask, token_type_ids,
// int64 [N, L]) and output (logits, float [N, K]) as a Hugging Face BertForSequenceClassification export, with a
// word-embedding lookup, mean pooling over the attention mask and a linear head instead of the encoder. Tests and
// the benchmark use it to exercise tokenization, batching, label mapping and onnxruntime without a 400 MB FinBERT.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export interface TinyTransformerSpec {
  /** vocab.txt lines: [PAD] [UNK] [CLS] [SEP] first is customary, any order works. */
  readonly vocab: readonly string[];
  /** Per token, its embedding (hidden size = length); tokens not listed embed as `otherwise`. */
  readonly embeddings: Readonly<Record<string, readonly number[]>>;
  readonly otherwise: readonly number[];
  /** id2label of config.json, in output order. */
  readonly labels: readonly string[];
  /** Head weights, hidden × labels, row-major. Default: identity (hidden = labels). */
  readonly head?: readonly number[];
  readonly lowercase?: boolean;
}

const tensor = (name: string, dims: number[], data: readonly number[], type = FLOAT): OnnxTypes.ITensorProto => ({
  name,
  dims,
  dataType: type,
  ...(type === FLOAT ? { rawData: new Uint8Array(Float32Array.from(data).buffer) } : { int64Data: data.map((x) => x) }),
});

/** The ONNX bytes of the classifier. */
export function encodeTinyTransformer(s: TinyTransformerSpec): Uint8Array {
  const h = s.otherwise.length;
  const k = s.labels.length;
  const emb: number[] = [];
  for (const token of s.vocab) emb.push(...(s.embeddings[token] ?? s.otherwise));
  const head = s.head ?? Array.from({ length: h * k }, (_, i) => (Math.floor(i / k) === i % k ? 1 : 0));
  const ints = (n: string): OnnxTypes.IValueInfoProto => ({
    name: n,
    type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: "batch" }, { dimParam: "sequence" }] } } },
  });
  const proto: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: "tickflow-tiny-transformer",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "tiny-bert",
      initializer: [
        tensor("word_embeddings", [s.vocab.length, h], emb),
        tensor("token_type_embeddings", [2, h], new Array(2 * h).fill(0)),
        tensor("head_weight", [h, k], head),
        tensor("head_bias", [k], new Array(k).fill(0)),
        tensor("axis1", [1], [1], INT64),
        tensor("axis2", [1], [2], INT64),
      ],
      node: [
        { opType: "Gather", input: ["word_embeddings", "input_ids"], output: ["words"] },
        { opType: "Gather", input: ["token_type_embeddings", "token_type_ids"], output: ["types"] },
        { opType: "Add", input: ["words", "types"], output: ["hidden"] },
        { opType: "Cast", input: ["attention_mask"], output: ["mask"], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
        { opType: "Unsqueeze", input: ["mask", "axis2"], output: ["mask3"] },
        { opType: "Mul", input: ["hidden", "mask3"], output: ["masked"] },
        {
          opType: "ReduceSum",
          input: ["masked", "axis1"],
          output: ["summed"],
          attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
        },
        {
          opType: "ReduceSum",
          input: ["mask", "axis1"],
          output: ["count"],
          attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
        { opType: "Div", input: ["summed", "count"], output: ["pooled"] },
        { opType: "MatMul", input: ["pooled", "head_weight"], output: ["scores"] },
        { opType: "Add", input: ["scores", "head_bias"], output: ["logits"] },
      ],
      input: [ints("input_ids"), ints("attention_mask"), ints("token_type_ids")],
      output: [{ name: "logits", type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: k }] } } } }],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

/** Writes model.onnx, vocab.txt, config.json and tokenizer_config.json into `dir` (what a FinBERT export holds). */
export function writeTinyTransformer(dir: string, s: TinyTransformerSpec): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.onnx"), encodeTinyTransformer(s));
  writeFileSync(join(dir, "vocab.txt"), `${s.vocab.join("\n")}\n`);
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ architectures: ["BertForSequenceClassification"], id2label: Object.fromEntries(s.labels.map((l, i) => [String(i), l])) }),
  );
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: s.lowercase ?? true }));
}

/** A finance-flavoured spec: "beat", "surge", "record" positive, "miss", "loss", "plunge" negative, the rest neutral. */
export function financeTinyTransformer(): TinyTransformerSpec {
  const positive = ["beat", "beats", "surge", "##s", "record", "upgrade", "rally", "profit"];
  const negative = ["miss", "##es", "loss", "plunge", "downgrade", "lawsuit", "cut"];
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", ",", "the", "a", "acme", "shares", "estimates", "after", "q", "##3", ...positive, ...negative];
  return {
    vocab: [...new Set(vocab)],
    embeddings: {
      ...Object.fromEntries(positive.filter((t) => t !== "##s").map((t) => [t, [6, 0, 0]])),
      ...Object.fromEntries(negative.filter((t) => t !== "##es").map((t) => [t, [0, 6, 0]])),
    },
    otherwise: [0, 0, 1],
    labels: ["positive", "negative", "neutral"],
  };
}
