// Sentiment: accuracy and macro-F1 of plain AFINN vs the finance scorer on the held-out test split, and throughput.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import Sentiment from "sentiment";
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

function throughput(texts: readonly string[], f: (t: string) => unknown, ms = 1000): number {
  for (const t of texts) f(t); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const t of texts) f(t);
    n += texts.length;
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

  const texts = loadLabelled().map((r) => r.text);
  rows.push({ group: "sentiment", name: "AFINN analyze", value: throughput(texts, (t) => afinn.analyze(t)), unit: "headlines/s" });
  rows.push({ group: "sentiment", name: "tickflow scoreText", value: throughput(texts, (t) => ours.score(t)), unit: "headlines/s" });

  return rows;
}
