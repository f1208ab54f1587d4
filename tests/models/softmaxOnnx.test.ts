// Softmax regression: training is deterministic, and the shipped ONNX file run by onnxruntime-node gives the
// TypeScript serving path's probabilities (to 1e-5) and labels; plus the labelled CSV reader and the metrics.
import { readFileSync } from "node:fs";
import { SENTIMENT_ONNX, SENTIMENT_SAMPLE, SENTIMENT_VALID } from "../helpers/sentimentData.ts";
import { describe, expect, it } from "vitest";
import { readLabelledCsv } from "../../app/sentimentTraining.ts";
import { parseLabelledCsv } from "../../models/labelledTextCsv.ts";
import { multiclassMetrics } from "../../models/multiclassMetrics.ts";
import { encodeSoftmaxOnnx, verifySoftmaxOnnx } from "../../models/softmaxOnnx.ts";
import { OnnxVerificationError } from "../../models/onnxExport.ts";
import { builtinSentimentModel } from "../../operators/sentiment/builtinSentimentModel.ts";
import { trainSentimentClassifier, SENTIMENT_FEATURES_V1 } from "../../operators/sentiment/sentimentClassifier.ts";
import { createTextFeaturizer } from "../../operators/sentiment/textFeatures.ts";

const VALID = SENTIMENT_VALID;
const SAMPLE = SENTIMENT_SAMPLE;
const ONNX = SENTIMENT_ONNX;

/** The shipped ONNX file run by onnxruntime-node against the TypeScript model on a labelled CSV's texts. */
async function shippedOnnxOn(csv: string): ReturnType<typeof verifySoftmaxOnnx> {
  const m = builtinSentimentModel();
  const f = createTextFeaturizer(m.features);
  const rows = (await readLabelledCsv(csv)).map((r) => f.features(r.text));
  return verifySoftmaxOnnx(m.model, readFileSync(ONNX), rows);
}

describe("softmax regression for sentiment", () => {
  it("trains deterministically: two runs on the same rows give identical weights", async () => {
    const rows = (await readLabelledCsv(SAMPLE)).slice(0, 120);
    const features = { ...SENTIMENT_FEATURES_V1, buckets: 1 << 12 };
    const a = trainSentimentClassifier(rows, { features, training: { epochs: 3 } });
    const b = trainSentimentClassifier(rows, { features, training: { epochs: 3 } });
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(b.model.weights.buffer))).toBe(true);
    expect(Array.from(a.model.bias)).toEqual(Array.from(b.model.bias));
    const c = trainSentimentClassifier(rows, { features, training: { epochs: 3, seed: 2 } });
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(c.model.weights.buffer))).toBe(false);
  });

  it("the shipped ONNX file agrees with the TypeScript model on the sample (onnxruntime-node)", async () => {
    const v = await shippedOnnxOn(SAMPLE);
    expect(v).toMatchObject({ rows: 239, labelMismatches: 0 });
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it("the shipped ONNX file agrees with the TypeScript model on the whole validation split", { timeout: 180_000 }, async () => {
    const v = await shippedOnnxOn(VALID);
    expect(v).toMatchObject({ rows: 2388, labelMismatches: 0 });
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it("verification rejects a file whose weights differ", async () => {
    const m = builtinSentimentModel();
    const bias = Float32Array.from(m.model.bias);
    bias[0]! += 0.5;
    const bytes = encodeSoftmaxOnnx({ ...m.model, bias }, "changed");
    const f = createTextFeaturizer(m.features);
    const rows = (await readLabelledCsv(SAMPLE)).slice(0, 10).map((r) => f.features(r.text));
    await expect(verifySoftmaxOnnx(m.model, bytes, rows)).rejects.toThrow(OnnxVerificationError);
  });
});

describe("parseLabelledCsv", () => {
  it("reads quoted fields, doubled quotes and texts that span lines", () => {
    const csv = 'text,label\n"Acme, Inc. ""beats""\nestimates",1\nplain text,2\n\n';
    expect(parseLabelledCsv(csv, "t.csv", 3)).toEqual([
      { text: 'Acme, Inc. "beats"\nestimates', label: 1, line: 2 },
      { text: "plain text", label: 2, line: 4 },
    ]);
  });

  it("names the file and line of a bad label or a missing column", () => {
    expect(() => parseLabelledCsv("text,label\nok,1\nbad,7\n", "t.csv", 3)).toThrow('t.csv:3: label "7" must be an integer 0 … 2');
    expect(() => parseLabelledCsv("headline,label\nok,1\n", "t.csv", 3)).toThrow("t.csv:1: header is [headline, label]; expected columns text and label");
    expect(() => parseLabelledCsv('text,label\n"open,1\n', "t.csv", 3)).toThrow("t.csv:2: a quoted field is not closed");
  });
});

describe("multiclassMetrics", () => {
  it("gives accuracy, macro-F1 and confusion[truth][predicted]", () => {
    const m = multiclassMetrics([0, 0, 1, 2], [0, 1, 1, 2], 3);
    expect(m.accuracy).toBe(0.75);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    // F1: class 0 = 2/3, class 1 = 2/3, class 2 = 1
    expect(m.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 1) / 3, 12);
  });
});
