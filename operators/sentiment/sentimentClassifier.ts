// The trained sentiment classifier: hashed text features → softmax regression → negative / positive / neutral.
// Training, batched scoring and the JSON form the model ships in; all pure and deterministic.
import {
  argmax,
  predictSoftmaxRow,
  trainSoftmaxRegression,
  type SoftmaxRegressionModel,
  type SoftmaxRegressionParams,
} from "../../models/softmaxRegression.ts";
import { createTextFeaturizer, type TextFeatureSpec } from "./textFeatures.ts";
import type { SentimentLabel } from "./types.ts";

/** Class order of the model: the labels of the Twitter Financial News CSV (0 bearish, 1 bullish, 2 neutral). */
export const CSV_CLASSES: readonly SentimentLabel[] = ["negative", "positive", "neutral"];

/** Features of the shipped model: words and word bigrams, the finance lexicon's outputs, 2^18 buckets. */
export const SENTIMENT_FEATURES_V1: TextFeatureSpec = { buckets: 1 << 18, wordNgrams: 2, charNgrams: null, charWeight: 0, lexiconWeight: 1 };

/** Training settings of the shipped model, chosen on an 80/20 slice of the training file (never the validation file). */
export const SENTIMENT_TRAINING_V1: Required<Omit<SoftmaxRegressionParams, "classWeights">> = { epochs: 15, learningRate: 0.3, l2: 1e-4, seed: 1 };

export interface SentimentClassifierModel {
  readonly name: string;
  readonly features: TextFeatureSpec;
  /** Label of each class index. */
  readonly classes: readonly SentimentLabel[];
  readonly model: SoftmaxRegressionModel;
}

/** One text's classification: argmax label, score = P(positive) - P(negative) in [-1, 1], probabilities by class. */
export interface SentimentPrediction {
  readonly label: SentimentLabel;
  readonly score: number;
  readonly probabilities: Readonly<Record<SentimentLabel, number>>;
}

export interface SentimentClassifier {
  readonly model: SentimentClassifierModel;
  /** Classifies a batch of texts, in order. */
  classify(texts: readonly string[]): SentimentPrediction[];
}

/**
 * Prepares a classifier for a trained model.
 * @example createSentimentClassifier(builtinSentimentModel()).classify(["Acme beats estimates"])[0].label // "positive"
 */
export function createSentimentClassifier(model: SentimentClassifierModel): SentimentClassifier {
  const featurizer = createTextFeaturizer(model.features);
  const { classes } = model;
  const pos = classes.indexOf("positive");
  const neg = classes.indexOf("negative");
  if (pos < 0 || neg < 0 || classes.length !== model.model.classes) {
    throw new Error(`sentiment model ${model.name}: classes [${classes.join(", ")}] must name positive and negative, one per model class`);
  }
  const p = new Float64Array(classes.length);
  return {
    model,
    classify(texts) {
      return texts.map((text) => {
        predictSoftmaxRow(model.model, featurizer.features(text), p);
        const probabilities = Object.fromEntries(classes.map((c, i) => [c, p[i]!])) as Record<SentimentLabel, number>;
        return { label: classes[argmax(p)]!, score: p[pos]! - p[neg]!, probabilities };
      });
    },
  };
}

export interface LabelledText {
  readonly text: string;
  /** Class index into `classes` (the CSV's 0 / 1 / 2). */
  readonly label: number;
}

export interface TrainSentimentOptions {
  readonly name?: string;
  readonly features?: TextFeatureSpec;
  readonly training?: SoftmaxRegressionParams;
  readonly classes?: readonly SentimentLabel[];
}

/**
 * Trains a classifier on labelled texts (deterministic: the same rows and options give the same weights).
 * @example trainSentimentClassifier(rows) // the shipped model's features and settings
 */
export function trainSentimentClassifier(rows: readonly LabelledText[], options: TrainSentimentOptions = {}): SentimentClassifierModel {
  const features = options.features ?? SENTIMENT_FEATURES_V1;
  const classes = options.classes ?? CSV_CLASSES;
  if (rows.length === 0) throw new Error("trainSentimentClassifier: no labelled rows");
  const featurizer = createTextFeaturizer(features);
  const model = trainSoftmaxRegression(
    rows.map((r) => featurizer.features(r.text)),
    rows.map((r) => r.label),
    { dimension: features.buckets, classes: classes.length },
    options.training ?? SENTIMENT_TRAINING_V1,
  );
  return { name: options.name ?? "finance-sentiment", features, classes: [...classes], model };
}

/** The JSON form of a model: parameters plus the non-zero weight rows, base64 little-endian. */
export interface SentimentModelJson {
  readonly format: "tickflow-sentiment-1";
  readonly name: string;
  readonly features: TextFeatureSpec;
  readonly classes: readonly SentimentLabel[];
  readonly bias: readonly number[];
  /** Buckets with any non-zero weight: uint32 LE, base64. */
  readonly rows: string;
  /** Their weights, rows × classes float32 LE, base64. */
  readonly weights: string;
  /** Anything else to keep with the model (training settings, metrics). */
  readonly [extra: string]: unknown;
}

export function encodeSentimentModel(m: SentimentClassifierModel, extra: Record<string, unknown> = {}): SentimentModelJson {
  const k = m.model.classes;
  const rows: number[] = [];
  for (let j = 0; j < m.model.dimension; j++) {
    for (let c = 0; c < k; c++) {
      if (m.model.weights[j * k + c] !== 0) {
        rows.push(j);
        break;
      }
    }
  }
  const weights = new Float32Array(rows.length * k);
  rows.forEach((j, i) => weights.set(m.model.weights.subarray(j * k, j * k + k), i * k));
  return {
    format: "tickflow-sentiment-1",
    name: m.name,
    features: m.features,
    classes: m.classes,
    ...extra,
    bias: Array.from(m.model.bias),
    rows: base64(new Uint8Array(Uint32Array.from(rows).buffer)),
    weights: base64(new Uint8Array(weights.buffer)),
  };
}

export function decodeSentimentModel(json: SentimentModelJson): SentimentClassifierModel {
  if (json.format !== "tickflow-sentiment-1") throw new Error(`sentiment model ${json.name}: format ${String(json.format)}, expected tickflow-sentiment-1`);
  const k = json.classes.length;
  const rows = new Uint32Array(bytes(json.rows).buffer);
  const packed = new Float32Array(bytes(json.weights).buffer);
  if (packed.length !== rows.length * k) throw new Error(`sentiment model ${json.name}: ${packed.length} weights for ${rows.length} rows × ${k} classes`);
  const d = json.features.buckets;
  const weights = new Float32Array(d * k);
  rows.forEach((j, i) => {
    if (j >= d) throw new Error(`sentiment model ${json.name}: row ${j} is outside ${d} buckets`);
    weights.set(packed.subarray(i * k, i * k + k), j * k);
  });
  return {
    name: json.name,
    features: json.features,
    classes: [...json.classes],
    model: { kind: "softmax", dimension: d, classes: k, weights, bias: Float32Array.from(json.bias) },
  };
}

// Little-endian platforms only, like the rest of the typed-array code; Buffer copies so the views are aligned.
const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
