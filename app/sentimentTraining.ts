// Trains the sentiment classifier from a labelled CSV, measures it on a validation CSV, writes the model JSON (what
// scoreSentiment serves) and the ONNX file (for other runtimes), and checks the ONNX file with onnxruntime-node.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Sentiment from "sentiment";
import { multiclassMetrics, type MulticlassMetrics } from "../models/multiclassMetrics.ts";
import { parseLabelledCsv, type LabelledCsvRow } from "../models/labelledTextCsv.ts";
import { encodeSoftmaxOnnx, verifySoftmaxOnnx, type SoftmaxOnnxVerification } from "../models/softmaxOnnx.ts";
import { createTextScorer } from "../operators/sentiment/scoreText.ts";
import {
  CSV_CLASSES,
  createSentimentClassifier,
  encodeSentimentModel,
  SENTIMENT_FEATURES_V1,
  SENTIMENT_TRAINING_V1,
  trainSentimentClassifier,
  type SentimentClassifierModel,
  type SentimentModelJson,
} from "../operators/sentiment/sentimentClassifier.ts";
import { createTextFeaturizer } from "../operators/sentiment/textFeatures.ts";
import type { SentimentLabel } from "../operators/sentiment/types.ts";

export interface TrainSentimentFilesOptions {
  /** Labelled training CSV (`text,label`, 0 negative, 1 positive, 2 neutral). */
  readonly trainCsv: string;
  /** Optional labelled CSV to measure on (never trained on); its metrics are recorded in the model JSON. */
  readonly validationCsv?: string;
  /** Folder to write `<name>.json` and `<name>.onnx` into (created). */
  readonly outDir: string;
  /** Default "finance-sentiment". */
  readonly name?: string;
  /** Passes over the training rows; default that of the shipped model. */
  readonly epochs?: number;
}

/** Validation metrics of the trained model beside the baselines, classes in CSV order (negative, positive, neutral). */
export interface SentimentValidation {
  readonly file: string;
  readonly model: MulticlassMetrics;
  readonly lexicon: MulticlassMetrics;
  readonly afinn: MulticlassMetrics;
  readonly alwaysNeutral: MulticlassMetrics;
}

export interface TrainSentimentFilesResult {
  readonly model: SentimentClassifierModel;
  readonly jsonPath: string;
  readonly onnxPath: string;
  readonly onnxBytes: number;
  readonly trainRows: number;
  readonly validation?: SentimentValidation;
  readonly onnx: SoftmaxOnnxVerification;
}

/** Reads a labelled CSV with the CSV classes (0 negative, 1 positive, 2 neutral). */
export async function readLabelledCsv(path: string): Promise<LabelledCsvRow[]> {
  return parseLabelledCsv(await readFile(path, "utf8"), path, CSV_CLASSES.length);
}

/** Accuracy, macro-F1 and confusion matrix of a labeller on labelled rows (classes in CSV order). */
export function evaluateLabeller(rows: readonly LabelledCsvRow[], label: (texts: readonly string[]) => readonly SentimentLabel[]): MulticlassMetrics {
  const predicted = label(rows.map((r) => r.text)).map((l) => CSV_CLASSES.indexOf(l));
  return multiclassMetrics(
    rows.map((r) => r.label),
    predicted,
    CSV_CLASSES.length,
  );
}

/** The three baselines and the model on the same rows. */
export function compareOnValidation(model: SentimentClassifierModel, rows: readonly LabelledCsvRow[], file: string): SentimentValidation {
  const classifier = createSentimentClassifier(model);
  const lexicon = createTextScorer();
  const afinn = new Sentiment();
  const sign = (s: number): SentimentLabel => (s > 0 ? "positive" : s < 0 ? "negative" : "neutral");
  return {
    file,
    model: evaluateLabeller(rows, (t) => classifier.classify(t).map((p) => p.label)),
    lexicon: evaluateLabeller(rows, (t) => t.map((x) => lexicon.score(x).label)),
    afinn: evaluateLabeller(rows, (t) => t.map((x) => sign(afinn.analyze(x).score))),
    alwaysNeutral: evaluateLabeller(rows, (t) => t.map(() => "neutral")),
  };
}

/**
 * Trains, writes `<outDir>/<name>.json` and `<outDir>/<name>.onnx`, and verifies the ONNX file against the
 * TypeScript model on the validation rows (or the training rows when there is no validation file).
 */
export async function trainSentimentFiles(o: TrainSentimentFilesOptions): Promise<TrainSentimentFilesResult> {
  const name = o.name ?? "finance-sentiment";
  const train = await readLabelledCsv(o.trainCsv);
  const training = { ...SENTIMENT_TRAINING_V1, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) };
  const model = trainSentimentClassifier(train, { name, features: SENTIMENT_FEATURES_V1, training });
  const valid = o.validationCsv !== undefined ? await readLabelledCsv(o.validationCsv) : undefined;
  const validation = valid && o.validationCsv !== undefined ? compareOnValidation(model, valid, o.validationCsv) : undefined;

  const onnx = encodeSoftmaxOnnx(model.model, name, { features: JSON.stringify(model.features), classes: JSON.stringify(model.classes) });
  const featurizer = createTextFeaturizer(model.features);
  const check = await verifySoftmaxOnnx(
    model.model,
    onnx,
    (valid ?? train).map((r) => featurizer.features(r.text)),
  );
  const json: SentimentModelJson = encodeSentimentModel(model, {
    training: { rows: train.length, ...training, optimiser: "Adagrad SGD, seeded row order per epoch, lazy L2" },
    onnx: { file: `${name}.onnx`, sha256: createHash("sha256").update(onnx).digest("hex"), verifiedRows: check.rows, maxAbsDiff: check.maxAbsDiff },
    ...(validation ? { validation } : {}),
  });
  await mkdir(o.outDir, { recursive: true });
  const jsonPath = join(o.outDir, `${name}.json`);
  const onnxPath = join(o.outDir, `${name}.onnx`);
  await writeFile(onnxPath, onnx);
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  return { model, jsonPath, onnxPath, onnxBytes: onnx.length, trainRows: train.length, ...(validation ? { validation } : {}), onnx: check };
}
