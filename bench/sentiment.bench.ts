// Sentiment: accuracy and macro-F1 of plain AFINN vs the finance scorer on the held-out test split of our own
// sentences, and of the trained classifier vs both on real annotated finance news (the Twitter Financial News
// validation split, when ../shared/data is present); and throughput.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { TransformerClassifier } from "../models/transformerClassifier.ts";
import { financeTinyTransformer, writeTinyTransformer } from "../models/tinyTransformer.ts";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import Sentiment from "sentiment";
import { compareOnValidation, readLabelledCsv } from "../app/sentimentTraining.ts";
import type { MulticlassMetrics } from "../models/multiclassMetrics.ts";
import { builtinSentimentModel } from "../operators/sentiment/builtinSentimentModel.ts";
import { createSentimentClassifier } from "../operators/sentiment/sentimentClassifier.ts";
import { createTextScorer } from "../operators/sentiment/scoreText.ts";
import type { SentimentLabel } from "../operators/sentiment/types.ts";
import type { BenchRow } from "./types.ts";

export interface LabelledSentence {
  id: string;
  split: "dev" | "test";
  label: SentimentLabel;
  text: string;
}

export interface Evaluation {
  n: number;
  accuracy: number;
  macroF1: number;
  /** confusion[truth][predicted] */
  confusion: Record<SentimentLabel, Record<SentimentLabel, number>>;
}

const LABELS: readonly SentimentLabel[] = ["positive", "negative", "neutral"];

export function loadLabelled(split?: "dev" | "test"): LabelledSentence[] {
  const path = join(PACKAGE_ROOT, "tests", "fixtures", "sentiment", "labelled.jsonl");
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LabelledSentence)
    .filter((r) => split === undefined || r.split === split);
}

export function evaluate(rows: readonly LabelledSentence[], predict: (text: string) => SentimentLabel): Evaluation {
  const confusion = Object.fromEntries(LABELS.map((t) => [t, Object.fromEntries(LABELS.map((p) => [p, 0]))])) as Evaluation["confusion"];
  for (const r of rows) confusion[r.label][predict(r.text)]++;
  const correct = LABELS.reduce((s, l) => s + confusion[l][l], 0);
  const f1s = LABELS.map((l) => {
    const tp = confusion[l][l];
    const predicted = LABELS.reduce((s, t) => s + confusion[t][l], 0);
    const actual = LABELS.reduce((s, p) => s + confusion[l][p], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = actual ? tp / actual : 0;
    return precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  });
  return { n: rows.length, accuracy: correct / rows.length, macroF1: f1s.reduce((a, b) => a + b, 0) / LABELS.length, confusion };
}

/** Plain AFINN as most users call it: the sign of `score`. */
export function afinnLabel(afinn: Sentiment, text: string): SentimentLabel {
  const s = afinn.analyze(text).score;
  return s > 0 ? "positive" : s < 0 ? "negative" : "neutral";
}

/** Items per second; `perItem` texts per item (a batch). */
function throughput<T>(items: readonly T[], f: (t: T) => unknown, ms = 1000, perItem = 1): number {
  for (const t of items) f(t); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const t of items) f(t);
    n += items.length * perItem;
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

export async function run(): Promise<BenchRow[]> {
  const test = loadLabelled("test");
  const afinn = new Sentiment();
  const ours = createTextScorer();
  const counts = LABELS.map((l) => `${l} ${test.filter((r) => r.label === l).length}`).join(", ");
  const rows: BenchRow[] = [];
  const report = (name: string, e: Evaluation) => {
    rows.push({ group: "sentiment", name: `${name} accuracy`, value: e.accuracy, unit: "fraction", note: `test split n=${e.n} (${counts})` });
    rows.push({ group: "sentiment", name: `${name} macro-F1`, value: e.macroF1, unit: "fraction" });
  };
  report(
    "always neutral",
    evaluate(test, () => "neutral"),
  );
  report(
    "AFINN (sign of score)",
    evaluate(test, (t) => afinnLabel(afinn, t)),
  );
  report(
    "tickflow finance",
    evaluate(test, (t) => ours.score(t).label),
  );

  rows.push(...(await realNews()));

  const texts = loadLabelled().map((r) => r.text);
  const classifier = createSentimentClassifier(builtinSentimentModel());
  rows.push({ group: "sentiment", name: "AFINN analyze", value: throughput(texts, (t) => afinn.analyze(t)), unit: "headlines/s" });
  rows.push({ group: "sentiment", name: "tickflow scoreText", value: throughput(texts, (t) => ours.score(t)), unit: "headlines/s" });
  rows.push({
    group: "sentiment",
    name: "tickflow model classify (batches of 64)",
    value: throughputBatched(texts, 64, (batch) => classifier.classify(batch)),
    unit: "headlines/s",
  });
  // The transformer path (WordPiece + onnxruntime, batches of 32) on the tiny BERT-shaped model of the tests: it
  // measures tokenizing, tensor building and the session call, not a real encoder (FinBERT is ~110M parameters).
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-bert-"));
  try {
    writeTinyTransformer(dir, financeTinyTransformer());
    const transformer = TransformerClassifier.load({ dir, batchSize: 32 });
    rows.push({
      group: "sentiment",
      name: "WordPiece encode",
      value: throughput(texts, (t) => transformer.tokenizer.encode(t, 128)),
      unit: "headlines/s",
    });
    rows.push({
      group: "sentiment",
      name: "transformer classify, tiny BERT-shaped model (batches of 32)",
      value: throughputBatched(texts, 32, (batch) => transformer.classify(batch)),
      unit: "headlines/s",
      note: "tokenize + int64 tensors + onnxruntime call; a real encoder adds its own cost per token",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  return rows;
}

/** Twitter Financial News validation split (never trained or tuned on): the four scorers beside each other. */
async function realNews(): Promise<BenchRow[]> {
  const file = join(PACKAGE_ROOT, "..", "shared", "data", "news", "twitter-financial-news-valid.csv");
  if (!existsSync(file)) return [];
  const v = compareOnValidation(builtinSentimentModel(), await readLabelledCsv(file), file);
  const rows: BenchRow[] = [];
  const note = `Twitter Financial News validation n=${v.model.n}; confusion rows truth, columns predicted (negative, positive, neutral)`;
  const report = (name: string, m: MulticlassMetrics) => {
    rows.push({ group: "sentiment (real news)", name: `${name} accuracy`, value: m.accuracy, unit: "fraction", note });
    rows.push({
      group: "sentiment (real news)",
      name: `${name} macro-F1`,
      value: m.macroF1,
      unit: "fraction",
      note: `confusion ${JSON.stringify(m.confusion)}`,
    });
  };
  report("always neutral", v.alwaysNeutral);
  report("AFINN (sign of score)", v.afinn);
  report("tickflow finance lexicon", v.lexicon);
  report("tickflow model", v.model);
  return rows;
}

function throughputBatched(texts: readonly string[], size: number, f: (batch: readonly string[]) => unknown): number {
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size));
  return throughput(batches, f, 1000, texts.length / batches.length);
}
