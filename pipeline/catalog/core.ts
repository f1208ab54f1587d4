// Core operators: bars, indicators, sentiment scoring, the as-of sentiment join and the momentum rule.
import { z } from "zod";
import { parseDurationNs } from "../../schemas/time.ts";
import { TIMEFRAME_PATTERN } from "../../schemas/timeframe.ts";
import { bars } from "../../operators/bars.ts";
import { computeIndicators, type IndicatorSpec } from "../../operators/computeIndicators.ts";
import { momentumRule } from "../../operators/momentumRule.ts";
import { scoreNews, type TextClassifier } from "../../operators/scoreNews.ts";
import { sentimentAsOf, type SentimentAsOfOptions } from "../../operators/sentimentAsOf.ts";
import { indicatorSpec } from "../indicatorSpecs.ts";
import { BAR_FIELDS, def, duration, featureName, type OperatorDef } from "../operatorDef.ts";
import type { CompiledPipeline } from "../graph.ts";

export const CORE_OPERATORS: readonly OperatorDef<unknown>[] = [
  def({
    name: "bars",
    summary: "Trades → OHLCV+VWAP bars per symbol over event-time intervals aligned to the epoch.",
    inputs: [{ name: "trades", kind: "trade" }],
    output: "bar",
    params: z.strictObject({
      timeframe: z.string().regex(TIMEFRAME_PATTERN, "must be a timeframe like 15s, 1m, 5m, 1h or 1d").describe("Bar length: a count and s|m|h|d, e.g. 1m."),
    }),
    example: "{ op: bars, in: trades, params: { timeframe: 1m } }",
    build:
      (p, ctx) =>
      ([trades]) =>
        trades.pipe(
          bars({
            timeframe: p.timeframe,
            onLate: (t, reason) => ctx.deadLetter(t, reason, "tsEvent"),
            onReject: (t, reason, field) => ctx.deadLetter(t, reason, field),
          }),
        ),
  }),
  def({
    name: "indicators",
    summary: "Bars → feature rows: the bar's fields, ret, and each listed indicator per symbol.",
    inputs: [{ name: "bars", kind: "bar" }],
    output: "features",
    params: z.strictObject({
      set: z
        .array(
          z.looseObject({
            id: featureName.describe("Feature name the value is written under (multi-output indicators: `<id>.<output>`)."),
            name: z.string().min(1).describe("Indicator name, e.g. ema or rsi (`tickflow catalog` lists them); its own params sit beside `id` and `name`."),
          }),
        )
        .min(1)
        .describe("Indicators to compute: `{ id, name, ...params }`, e.g. `{ id: rsi, name: rsi, period: 14 }`."),
      evictIdle: duration.optional().describe("Drop a symbol's state after this much event time without a bar (default: keep)."),
    }),
    example: "{ op: indicators, in: bars, params: { set: [{ id: emaFast, name: ema, period: 12 }, { id: rsi, name: rsi, period: 14 }] } }",
    fields: (p) => [
      ...BAR_FIELDS,
      "ret",
      ...p.set.flatMap((s, i) => indicatorSpec(s, ["params", "set", i]).outputs.map((o, _, all) => (all.length === 1 ? s.id : `${s.id}.${o}`))),
    ],
    build: (p, ctx) => {
      const specs: IndicatorSpec[] = p.set.map((s, i) => indicatorSpec(s, ["params", "set", i]));
      return ([input]) =>
        input.pipe(
          computeIndicators({
            indicators: specs,
            evictIdleNs: p.evictIdle ? parseDurationNs(p.evictIdle) : undefined,
            onError: (bar, reason) => ctx.deadLetter(bar, reason),
          }),
        );
    },
  }),
  def({
    name: "scoreSentiment",
    summary: "News → one scored item per symbol it is about (trained classifier or finance lexicon, entity linking).",
    inputs: [{ name: "news", kind: "news" }],
    output: "scoredNews",
    params: z.strictObject({
      companies: z
        .record(z.string(), z.array(z.string()))
        .default({})
        .describe("Extra symbol → company names for linking untagged headlines, merged over the defaults, e.g. `{ ACME: [Acme Corp, Acme] }`."),
      scorer: z
        .enum(["model", "lexicon", "transformer"])
        .default("model")
        .describe(
          "model: the shipped classifier trained on finance headlines (docs/sentiment-model.md), score = P(positive) - P(negative); lexicon: the finance lexicon rules (docs/sentiment.md); transformer: your ONNX text classifier (e.g. FinBERT) named by `transformer`.",
        ),
      transformer: z
        .strictObject({
          dir: z.string().min(1).describe("Directory with model.onnx, vocab.txt (WordPiece) and config.json (id2label); relative to the working directory."),
          maxLength: z.number().int().min(4).max(4096).default(128).describe("Tokens per text, [CLS] and [SEP] included; longer texts are cut."),
          batchSize: z.number().int().positive().max(4096).default(32).describe("Texts per onnxruntime call."),
        })
        .optional()
        .describe("The transformer classifier for `scorer: transformer` (docs/sentiment.md#a-transformer-classifier)."),
    }),
    example: "{ op: scoreSentiment, in: news }",
    build: (p, ctx) => {
      if (p.scorer === "transformer" && !p.transformer) throw new Error("scorer: transformer needs `transformer: { dir: <model directory> }`");
      if (p.scorer !== "transformer" && p.transformer) throw new Error(`transformer is set but scorer is ${p.scorer}: set scorer: transformer, or remove it`);
      // The model is loaded (and checked) by the I/O layer when the pipeline loads (app/loadPipeline.ts,
      // bindSentimentClassifiers); operators and the runtime read no file.
      const classifier = (p as { [SENTIMENT_CLASSIFIER]?: TextClassifier })[SENTIMENT_CLASSIFIER];
      return ([input]) => {
        if (p.scorer === "transformer" && !classifier)
          throw new Error(
            `pipeline ${ctx.pipeline}: node ${ctx.node} has scorer: transformer but no loaded model; load the pipeline with loadPipeline (app/loadPipeline.ts)`,
          );
        return input.pipe(scoreNews({ companies: p.companies, scorer: p.scorer, ...(classifier ? { classifier } : {}) }));
      };
    },
  }),
  def({
    name: "sentimentAsOf",
    summary: "Feature rows × scored news → rows with the symbol's latest sentiment at or before the row time, decayed by age.",
    inputs: [
      { name: "rows", kind: "features" },
      { name: "sentiment", kind: "scoredNews" },
    ],
    output: "features",
    params: z.strictObject({
      as: featureName.default("sentiment").describe("Feature name to write the (decayed) score under; `<as>.ageSeconds` holds the news age."),
      maxStaleness: duration.default("4h").describe("News older than this is ignored (value 0, `<as>.ageSeconds` absent)."),
      halfLife: duration.optional().describe("The score halves every `halfLife` of age (default: no decay)."),
    }),
    example: "{ op: sentimentAsOf, in: [indicators, sentiment], params: { maxStaleness: 4h, halfLife: 1h } }",
    fields: (p, [rows]) => rows && [...rows, p.as, `${p.as}.ageSeconds`],
    build: (p, ctx) => {
      const options: SentimentAsOfOptions = {
        as: p.as,
        maxStalenessNs: parseDurationNs(p.maxStaleness),
        halfLifeNs: p.halfLife ? parseDurationNs(p.halfLife) : undefined,
        onLate: (item, reason) => ctx.deadLetter(item, reason, "tsEvent"),
      };
      return ([rows, news]) => sentimentAsOf(rows, news, options);
    },
  }),
  def({
    name: "momentumRule",
    summary: "Feature rows → buy/sell/flat signals: EMA trend, RSI filter, sentiment gate; reason and inputs attached.",
    inputs: [{ name: "rows", kind: "features" }],
    output: "signal",
    params: z
      .strictObject({
        fast: featureName.default("emaFast").describe("Feature holding the fast EMA: the trend is up while fast > slow."),
        slow: featureName.default("emaSlow").describe("Feature holding the slow EMA."),
        rsi: featureName.default("rsi").describe("Feature holding the RSI (0-100)."),
        sentiment: featureName.default("sentiment").describe("Feature holding the sentiment score; absent counts as 0."),
        overbought: z.number().min(0).max(100).default(70).describe("A buy needs the RSI below this."),
        oversold: z.number().min(0).max(100).default(30).describe("A sell needs the RSI above this; must be below `overbought`."),
        sentimentGate: z
          .number()
          .min(0)
          .max(1)
          .default(0.3)
          .describe("A buy is vetoed when sentiment < -gate, a sell when sentiment > gate (0 vetoes any opposing sentiment)."),
        emit: z.enum(["change", "every"]).default("change").describe("change: only when a symbol's action changes; every: on every row."),
      })
      .refine((p) => p.oversold < p.overbought, { message: "oversold must be below overbought", path: ["oversold"] }),
    example: "{ op: momentumRule, in: joined, params: { overbought: 70, oversold: 30, sentimentGate: 0.3 } }",
    reads: (p) => (["fast", "slow", "rsi"] as const).map((k) => ({ name: p[k], path: [k] })),
    build:
      (p, ctx) =>
      ([rows]) =>
        rows.pipe(momentumRule({ ...p, pipeline: ctx.pipeline, node: ctx.node })),
  }),
];

/** Key under which `bindSentimentClassifiers` puts a transformer scoreSentiment node's loaded classifier. */
const SENTIMENT_CLASSIFIER: unique symbol = Symbol("tickflow.sentimentClassifier");

/**
 * Gives each `scoreSentiment` node with `scorer: transformer` its classifier, loaded by `load` (the I/O layer's,
 * e.g. TransformerClassifier.load); `onError` turns a load failure into the caller's error (a declaration error at
 * the node's `transformer.dir`).
 */
export function bindSentimentClassifiers(
  pipeline: CompiledPipeline,
  load: (o: { dir: string; maxLength: number; batchSize: number }) => TextClassifier,
  onError: (node: string, e: unknown) => never = (_n, e) => {
    throw e;
  },
): CompiledPipeline {
  const nodes = pipeline.nodes.map((n) => {
    const p = n.params as { scorer?: string; transformer?: { dir: string; maxLength: number; batchSize: number } };
    if (n.op.name !== "scoreSentiment" || p.scorer !== "transformer" || !p.transformer) return n;
    let classifier: TextClassifier;
    try {
      classifier = load(p.transformer);
    } catch (e) {
      return onError(n.name, e);
    }
    return { ...n, params: { ...(n.params as object), [SENTIMENT_CLASSIFIER]: classifier } };
  });
  return { ...pipeline, nodes };
}
