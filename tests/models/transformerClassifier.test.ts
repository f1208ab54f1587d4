// A pluggable transformer: a BERT-shaped ONNX classifier the test builds itself (models/tinyTransformer.ts), its
// WordPiece vocabulary and config.json, loaded by scoreSentiment and run batched through onnxruntime-node.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { labelMapping, TransformerClassifier, TransformerModelError } from "../../models/transformerClassifier.ts";
import { financeTinyTransformer, writeTinyTransformer } from "../../models/tinyTransformer.ts";
import { WordPieceTokenizer } from "../../models/wordpiece.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { findOperator } from "../../pipeline/catalog.ts";
import type { OperatorContext } from "../../pipeline/operatorDef.ts";
import type { News, ScoredNews } from "../../schemas/news.ts";
import { chunksOf, runWhole } from "../helpers/resume.ts";

const dir = mkdtempSync(join(tmpdir(), "tickflow-tiny-bert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, "tiny");
writeTinyTransformer(model, financeTinyTransformer());

describe("WordPiece", () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "acme", "beat", "##s", "un", "##afford", "##able", ",", "!", "q", "##3", "cafe"].join("\n");
  const t = new WordPieceTokenizer(vocab);
  const id = (s: string) => t.vocab.get(s)!;
  it("lower-cases, strips accents, splits punctuation, and takes the longest pieces first", () => {
    expect(t.basicTokens("ACME beats, Café!")).toEqual(["acme", "beats", ",", "cafe", "!"]);
    expect(t.pieces("beats")).toEqual([id("beat"), id("##s")]);
    expect(t.pieces("unaffordable")).toEqual([id("un"), id("##afford"), id("##able")]);
    expect(t.pieces("q3")).toEqual([id("q"), id("##3")]);
    expect(t.pieces("zebra")).toEqual([t.unk]);
  });
  it("wraps in [CLS] ... [SEP] and cuts to maxLength", () => {
    expect(t.encode("Acme beats")).toEqual([t.cls, id("acme"), id("beat"), id("##s"), t.sep]);
    expect(t.encode("Acme beats beats beats", 5)).toEqual([t.cls, id("acme"), id("beat"), id("##s"), t.sep]);
  });
  it("a cased vocabulary keeps case", () => {
    const cased = new WordPieceTokenizer("[PAD]\n[UNK]\n[CLS]\n[SEP]\nAcme\nacme", { lowercase: false });
    expect(cased.encode("Acme acme")).toEqual([cased.cls, 4, 5, cased.sep]);
  });
});

describe("TransformerClassifier", () => {
  it("scores with onnxruntime, maps labels from config.json, and gives the same result batched or alone", async () => {
    const c = TransformerClassifier.load({ dir: model, batchSize: 3 });
    const texts = ["Acme beats estimates", "Acme shares plunge after lawsuit", "Acme shares", "Q3 record profit, upgrade", "Loss widens; downgrade"];
    const batched = c.classify(texts);
    expect(batched.map((p) => p.label)).toEqual(["positive", "negative", "neutral", "positive", "negative"]);
    const alone = texts.map((t) => c.classify([t])[0]!);
    for (let i = 0; i < texts.length; i++) {
      expect(batched[i]!.score).toBeCloseTo(alone[i]!.score, 6); // padding is masked: the batch does not change a text
      expect(batched[i]!.probabilities.positive + batched[i]!.probabilities.negative + batched[i]!.probabilities.neutral).toBeCloseTo(1, 6);
    }
    // The same probabilities as onnxruntime's own async API on the same tensors.
    const session = await ort.InferenceSession.create(join(model, "model.onnx"));
    const ids = c.tokenizer.encode(texts[0]!, 128);
    const t = (a: number[]) => new ort.Tensor("int64", BigInt64Array.from(a.map(BigInt)), [1, a.length]);
    const out = await session.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map(() => 0)) });
    const logits = Array.from(out["logits"]!.data as Float32Array);
    const e = logits.map((x) => Math.exp(x - Math.max(...logits)));
    expect(batched[0]!.probabilities.positive).toBeCloseTo(e[0]! / e.reduce((a, b) => a + b, 0), 6);
  });

  it("refuses a directory without its files, and a config whose labels it cannot place", () => {
    expect(() => TransformerClassifier.load({ dir: join(dir, "nope") })).toThrow(/has no model.onnx \(needs model.onnx, vocab.txt, config.json\)/);
    expect(() => labelMapping({ id2label: { 0: "LABEL_0", 1: "LABEL_1" } }, 2)).toThrow(TransformerModelError);
    expect(() => labelMapping({ id2label: { 0: "LABEL_0", 1: "LABEL_1" } }, 2)).toThrow(/id2label\["0"\] is "LABEL_0"/);
    expect(labelMapping({ id2label: { 0: "Positive", 1: "Negative", 2: "Neutral" } }, 3)).toEqual(["positive", "negative", "neutral"]);
    const broken = join(dir, "broken");
    writeTinyTransformer(broken, financeTinyTransformer());
    writeFileSync(join(broken, "model.onnx"), "not a model");
    expect(() => TransformerClassifier.load({ dir: broken })).toThrow(/onnxruntime cannot load it/);
    expect(existsSync(join(broken, "vocab.txt"))).toBe(true);
  });
});

describe("scoreSentiment with scorer: transformer", () => {
  it("scores news through the user's model; a missing directory is refused when the pipeline loads", () => {
    const def = findOperator("scoreSentiment")!;
    // What loadPipeline does: the I/O layer loads the model and binds it to the node.
    const bound = parsePipeline(
      `name: t\nsources:\n  news: { type: news }\nnodes:\n  sentiment: { op: scoreSentiment, in: news, params: { scorer: transformer, transformer: { dir: ${model}, batchSize: 2 } } }\nsinks:\n  - { type: duckdb, in: sentiment }\n`,
      "t.yaml",
    );
    const params = bound.nodes.find((n) => n.name === "sentiment")!.params;
    const news: News[] = [
      { id: "a", source: "t", tsEvent: 1n, headline: "Acme beats estimates", symbols: ["ACME"] },
      { id: "b", source: "t", tsEvent: 2n, headline: "Acme shares plunge after lawsuit", symbols: ["ACME"] },
      { id: "c", source: "t", tsEvent: 3n, headline: "Acme shares", symbols: ["ACME"] },
    ];
    const out = runWhole<ScoredNews>(([news$]) => def.build(params, {} as OperatorContext)([news$!]) as never, 1, chunksOf(news, 2));
    expect(out.map((s) => s.label)).toEqual(["positive", "negative", "neutral"]);
    const yaml = (extra: string) => `
name: t
sources:
  news: { type: news }
nodes:
  sentiment: { op: scoreSentiment, in: news, params: { ${extra} } }
sinks:
  - { type: duckdb, in: sentiment }
`;
    expect(() => parsePipeline(yaml(`scorer: transformer, transformer: { dir: ${join(dir, "absent")} }`), "t.yaml")).toThrow(
      /t\.yaml:\d+:\d+: .*has no model\.onnx/,
    );
    expect(() => parsePipeline(yaml("scorer: transformer"), "t.yaml")).toThrow(/scorer: transformer needs `transformer: \{ dir/);
    expect(() => parsePipeline(yaml(`transformer: { dir: ${model} }`), "t.yaml")).toThrow(/transformer is set but scorer is model/);
  });
});
