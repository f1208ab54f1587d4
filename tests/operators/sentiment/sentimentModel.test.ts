// The shipped sentiment classifier: its files are the ones recorded (JSON weights = ONNX weights, ONNX hash), it
// reproduces its recorded validation metrics, and the pipeline node labels exactly as the library classifier does.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { SENTIMENT_ONNX, SENTIMENT_SAMPLE, SENTIMENT_VALID } from "../../helpers/sentimentData.ts";
import { describe, expect, it } from "vitest";
import { evaluateLabeller, readLabelledCsv, type SentimentValidation } from "../../../app/sentimentTraining.ts";
import { decodeSoftmaxOnnx } from "../../../models/softmaxOnnx.ts";
import { findOperator } from "../../../pipeline/catalog.ts";
import type { OperatorContext } from "../../../pipeline/operatorDef.ts";
import { BUILTIN_SENTIMENT_MODEL_JSON, builtinSentimentModel } from "../../../operators/sentiment/builtinSentimentModel.ts";
import { createSentimentClassifier } from "../../../operators/sentiment/sentimentClassifier.ts";
import { fnv1a32, textTokens } from "../../../operators/sentiment/textFeatures.ts";
import { newsText } from "../../../operators/scoreNews.ts";
import type { News, ScoredNews } from "../../../schemas/news.ts";
import { chunksOf, runWhole } from "../../helpers/resume.ts";

const VALID = SENTIMENT_VALID;
const SAMPLE = SENTIMENT_SAMPLE;
const ONNX = SENTIMENT_ONNX;

describe("text features", () => {
  it("hash names with FNV-1a 32-bit over UTF-8", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    // Non-ASCII goes through its UTF-8 bytes: "é" is C3 A9.
    expect(fnv1a32("é")).toBe(Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0);
  });

  it("turn URLs, cashtags, percentages and numbers into classes", () => {
    expect(textTokens("$TSLA up 5%, +2.5% after Q3 beat of $1.2B https://t.co/x Apple's")).toEqual([
      "<cashtag>",
      "up",
      "<pct>",
      "<pct+>",
      "after",
      "q",
      "<num>",
      "beat",
      "of",
      "<num>",
      "<url>",
      "apple",
    ]);
  });
});

describe("the shipped sentiment model", () => {
  const recorded = BUILTIN_SENTIMENT_MODEL_JSON as unknown as { validation: SentimentValidation; onnx: { sha256: string } };

  it("ONNX file is the one recorded and holds the JSON's weights", () => {
    const bytes = readFileSync(ONNX);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(recorded.onnx.sha256);
    const fromOnnx = decodeSoftmaxOnnx(bytes);
    const served = builtinSentimentModel().model;
    expect(fromOnnx.dimension).toBe(served.dimension);
    expect(fromOnnx.classes).toBe(served.classes);
    expect(Buffer.from(fromOnnx.weights.buffer).equals(Buffer.from(served.weights.buffer))).toBe(true);
    expect(Array.from(fromOnnx.bias)).toEqual(Array.from(served.bias));
  });

  it("reproduces its recorded validation metrics (../shared/data validation split)", async () => {
    const rows = await readLabelledCsv(VALID);
    const classifier = createSentimentClassifier(builtinSentimentModel());
    const m = evaluateLabeller(rows, (t) => classifier.classify(t).map((p) => p.label));
    expect(m.n).toBe(2388);
    expect(m.accuracy.toFixed(4)).toBe(recorded.validation.model.accuracy.toFixed(4));
    expect(m.macroF1.toFixed(4)).toBe(recorded.validation.model.macroF1.toFixed(4));
    expect(m.confusion).toEqual(recorded.validation.model.confusion);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it("the scoreSentiment pipeline node gives the library classifier's labels and scores", async () => {
    const rows = await readLabelledCsv(SAMPLE);
    const news: News[] = rows.map((r, i) => ({ id: `n${i}`, source: "test", tsEvent: BigInt(i + 1) * 1_000_000_000n, headline: r.text, symbols: ["ACME"] }));
    const def = findOperator("scoreSentiment")!;
    const params = def.params.parse({});
    const node = runWhole<ScoredNews>(([news$]) => def.build(params, {} as OperatorContext)([news$!]) as never, 1, chunksOf(news, 17));
    const library = createSentimentClassifier(builtinSentimentModel()).classify(news.map(newsText));
    expect(node.map((s) => s.id)).toEqual(news.map((n) => n.id));
    expect(node.map((s) => s.label)).toEqual(library.map((p) => p.label));
    expect(node.map((s) => s.score)).toEqual(library.map((p) => p.score));
    expect(new Set(node.map((s) => s.label))).toEqual(new Set(["positive", "negative", "neutral"]));
  });

  it("scorer: lexicon keeps the finance lexicon", () => {
    const def = findOperator("scoreSentiment")!;
    const params = def.params.parse({ scorer: "lexicon" });
    const news: News[] = [{ id: "a", source: "test", tsEvent: 1n, headline: "Acme profit rose 12%, beating estimates", symbols: ["ACME"] }];
    const [s] = runWhole<ScoredNews>(([news$]) => def.build(params, {} as OperatorContext)([news$!]) as never, 1, chunksOf(news, 1));
    expect(s!.label).toBe("positive");
    expect(s!.score).toBeGreaterThan(0.2);
  });
});
