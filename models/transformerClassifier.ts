// A user-supplied transformer text classifier (e.g. a FinBERT export) served in the pipeline: the model directory's
// model.onnx, vocab.txt (WordPiece) and config.json (id2label), tokenized here and scored in batches with
// onnxruntime-node. The pipeline is synchronous (a chunk goes through every operator before the next one), so the
// session is onnxruntime-node's native binding, which runs synchronously (its `InferenceSession.run` only wraps that
// call in a promise); one intra-op thread, so the same text gets the same probabilities every run.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tensor } from "onnxruntime-node";
import { binding, initOrt } from "onnxruntime-node/dist/binding.js";
import { TickflowError } from "../core/errors.ts";
import { WordPieceTokenizer } from "./wordpiece.ts";

/** The three sentiment classes (operators/sentiment/types.ts names the same). */
export type SentimentLabel = "positive" | "negative" | "neutral";

/** The model directory is missing a file, or its files do not fit together. */
export class TransformerModelError extends TickflowError {
  static override readonly code = "TRANSFORMER_MODEL_INVALID";
  override readonly name = "TransformerModelError";
}

export interface TransformerOptions {
  /** Directory with model.onnx, vocab.txt, config.json (and optionally tokenizer_config.json). */
  readonly dir: string;
  /** Tokens per text, [CLS] and [SEP] included; longer texts are cut. Default 128. */
  readonly maxLength?: number;
  /** Texts per onnxruntime call. Default 32. */
  readonly batchSize?: number;
}

export interface TransformerPrediction {
  readonly label: SentimentLabel;
  /** P(positive) − P(negative). */
  readonly score: number;
  readonly probabilities: Readonly<Record<SentimentLabel, number>>;
}

const LABEL_WORDS: Record<string, SentimentLabel> = {
  positive: "positive",
  pos: "positive",
  bullish: "positive",
  negative: "negative",
  neg: "negative",
  bearish: "negative",
  neutral: "neutral",
  neu: "neutral",
};

/** Maps config.json's id2label onto positive / negative / neutral; refuses a label it cannot place. */
export function labelMapping(config: unknown, outputs: number): SentimentLabel[] {
  const id2label = (config as { id2label?: Record<string, string> } | null)?.id2label;
  if (!id2label) throw new TransformerModelError("config.json has no id2label: tickflow needs to know which output is positive, negative and neutral");
  const labels: SentimentLabel[] = [];
  for (let i = 0; i < outputs; i++) {
    const name = id2label[String(i)];
    const mapped = name === undefined ? undefined : LABEL_WORDS[name.trim().toLowerCase()];
    if (!mapped)
      throw new TransformerModelError(
        `config.json id2label["${i}"] is ${JSON.stringify(name)}: expected one of ${Object.keys(LABEL_WORDS).join(", ")} (the model has ${outputs} outputs)`,
      );
    labels.push(mapped);
  }
  for (const l of ["positive", "negative"] as const)
    if (!labels.includes(l)) throw new TransformerModelError(`config.json id2label has no ${l} class: ${JSON.stringify(id2label)}`);
  return labels;
}

/** A loaded transformer classifier: `classify` is synchronous and batched. */
export class TransformerClassifier {
  private constructor(
    private readonly session: InstanceType<typeof binding.InferenceSession>,
    readonly tokenizer: WordPieceTokenizer,
    readonly labels: readonly SentimentLabel[],
    private readonly inputs: readonly string[],
    private readonly output: string,
    readonly maxLength: number,
    readonly batchSize: number,
  ) {}

  /** Loads and checks the directory; throws TransformerModelError naming what is wrong. */
  static load(o: TransformerOptions): TransformerClassifier {
    const file = (name: string): string => {
      const p = join(o.dir, name);
      if (!existsSync(p)) throw new TransformerModelError(`transformer model directory ${o.dir} has no ${name} (needs model.onnx, vocab.txt, config.json)`);
      return p;
    };
    const modelPath = file("model.onnx");
    const config = JSON.parse(readFileSync(file("config.json"), "utf8")) as unknown;
    const tokConfigPath = join(o.dir, "tokenizer_config.json");
    const tokConfig = existsSync(tokConfigPath) ? (JSON.parse(readFileSync(tokConfigPath, "utf8")) as { do_lower_case?: boolean }) : {};
    const tokenizer = new WordPieceTokenizer(readFileSync(file("vocab.txt"), "utf8"), { lowercase: tokConfig.do_lower_case ?? true });
    initOrt();
    const session = new binding.InferenceSession();
    try {
      session.loadModel(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
    } catch (e) {
      throw new TransformerModelError(`${modelPath}: onnxruntime cannot load it: ${(e as Error).message}`, { cause: e });
    }
    const inputs = session.inputMetadata.map((m) => m.name);
    if (!inputs.includes("input_ids"))
      throw new TransformerModelError(
        `${modelPath}: inputs are ${inputs.join(", ")}; a BERT-style classifier takes input_ids (and attention_mask, token_type_ids)`,
      );
    const out = session.outputMetadata[0];
    if (!out) throw new TransformerModelError(`${modelPath}: the model has no output`);
    const width = out.shape[out.shape.length - 1] ?? -1;
    if (!(width > 0)) throw new TransformerModelError(`${modelPath}: output ${out.name} has no fixed class dimension (shape ${JSON.stringify(out.shape)})`);
    return new TransformerClassifier(session, tokenizer, labelMapping(config, width), inputs, out.name, o.maxLength ?? 128, o.batchSize ?? 32);
  }

  classify(texts: readonly string[]): TransformerPrediction[] {
    const out: TransformerPrediction[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) out.push(...this.batch(texts.slice(i, i + this.batchSize)));
    return out;
  }

  private batch(texts: readonly string[]): TransformerPrediction[] {
    if (texts.length === 0) return [];
    const encoded = texts.map((t) => this.tokenizer.encode(t, this.maxLength));
    const len = Math.max(...encoded.map((e) => e.length));
    const n = texts.length;
    const ids = new BigInt64Array(n * len).fill(BigInt(this.tokenizer.pad));
    const mask = new BigInt64Array(n * len);
    encoded.forEach((e, r) =>
      e.forEach((id, c) => {
        ids[r * len + c] = BigInt(id);
        mask[r * len + c] = 1n;
      }),
    );
    const feeds: Record<string, Tensor> = { input_ids: new Tensor("int64", ids, [n, len]) };
    if (this.inputs.includes("attention_mask")) feeds["attention_mask"] = new Tensor("int64", mask, [n, len]);
    if (this.inputs.includes("token_type_ids")) feeds["token_type_ids"] = new Tensor("int64", new BigInt64Array(n * len), [n, len]);
    const result = this.session.run(feeds, { [this.output]: null }, {}) as Record<string, { data: Float32Array | Float64Array; dims: readonly number[] }>;
    const logits = result[this.output]!.data;
    const k = this.labels.length;
    const preds: TransformerPrediction[] = [];
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]!);
      const exp = Array.from({ length: k }, (_, j) => Math.exp(logits[r * k + j]! - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      const probabilities: Record<SentimentLabel, number> = { positive: 0, negative: 0, neutral: 0 };
      let best = 0;
      for (let j = 0; j < k; j++) {
        probabilities[this.labels[j]!] += exp[j]! / sum;
        if (exp[j]! > exp[best]!) best = j;
      }
      preds.push({ label: this.labels[best]!, score: probabilities.positive - probabilities.negative, probabilities });
    }
    return preds;
  }
}
