// Model benchmarks: training time per kind on 50k × 12 rows, onnxruntime scoring throughput and latency per
// micro-batch size (one session.run per batch, single intra-op thread as in the pipeline) beside a bare
// InferenceSession.run on the same model and pre-built tensors, the synchronous TypeScript evaluator the pipeline
// serves with, and the `predict` operator's cost inside a bars → indicators pipeline.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { trainGradientBoostedTrees } from "../models/gradientBoostedTrees.ts";
import { trainLogisticRegression } from "../models/logisticRegression.ts";
import type { TrainedModel } from "../models/model.ts";
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from "../models/onnxExport.ts";
import { OnnxScorer } from "../models/onnxScorer.ts";
import { mulberry32, normalFrom } from "../models/prng.ts";
import { loadServingModel, type ServingModel } from "../models/servingModel.ts";
import { withFixedModel } from "../app/modelDeployment.ts";
import { PipelineInstance, type CompiledPipeline } from "../pipeline/graph.ts";
import { parsePipeline } from "../app/loadPipeline.ts";
import type { Bar } from "../schemas/bar.ts";
import type { BenchRow } from "./types.ts";

const ROWS = 50_000;
const FEATURES = 12;
const BATCH_SIZES = [1, 8, 64, 512];
/** Scoring time per batch size and kind, for each path; enough calls for a stable p99 on two shared cores. */
const SCORE_BUDGET_MS = 700;
/** The two paths (OnnxScorer, bare session) take turns in this many blocks, so machine drift hits both alike. */
const SCORE_ROUNDS = 10;

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { X, y, featureNames } = syntheticFeatures(ROWS, FEATURES, 2024);
  const dir = await mkdtemp(join(tmpdir(), "tickflow-bench-models-"));
  try {
    const trainers: [string, () => TrainedModel][] = [
      ["logreg", () => trainLogisticRegression(X, y, ROWS, featureNames, { l2: 1e-4 })],
      ["gbt", () => trainGradientBoostedTrees(X, y, ROWS, featureNames, { nTrees: 100, maxDepth: 4 })],
    ];
    for (const [kind, train] of trainers) {
      const t0 = performance.now();
      const model = train();
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        group: "models",
        name: `${kind} train ${ROWS / 1000}k×${FEATURES}`,
        value: seconds,
        unit: "s",
        note: kind === "gbt" ? "100 trees, depth 4, 64 bins" : "IRLS",
      });

      const file = join(dir, `${kind}.onnx`);
      await exportOnnx(model, file, { modelId: `bench-${kind}-v1`, name: `bench-${kind}`, version: 1 });
      const scorer = await OnnxScorer.load(file, { featureNames });
      // The baseline: the same file in a session opened with OnnxScorer's options, called with no tickflow code.
      const bare = await ort.InferenceSession.create(await readFile(file), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
      try {
        for (const batch of BATCH_SIZES) rows.push(...(await scoreBench(scorer, bare, kind, X, batch)));
      } finally {
        await scorer.release();
        await bare.release();
      }
      const serving = (await loadServingModel(file, { featureNames })).model;
      for (const batch of BATCH_SIZES) rows.push(evaluatorBench(serving, kind, X, batch));
    }
    rows.push(...(await pipelineBench(dir)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

interface Timing {
  latencies: number[];
  /** Wall time of this path's blocks, ms. */
  elapsed: number;
}

/** Calls `call(k)` on successive batches k (wrapping) for `budgetMs` and at least `minCalls` times, timing each call. */
async function timeBlock(call: (k: number) => Promise<unknown>, batches: number, budgetMs: number, minCalls: number, into: Timing): Promise<void> {
  const start = performance.now();
  let k = 0;
  let calls = 0;
  while (performance.now() - start < budgetMs || calls < minCalls) {
    const t = performance.now();
    await call(k);
    into.latencies.push(performance.now() - t);
    if (++k === batches) k = 0;
    calls++;
  }
  into.elapsed += performance.now() - start;
}

/**
 * OnnxScorer.score (length check, tensor built per call, session.run, finiteness check) against a bare
 * session.run on tensors built before timing, batch by batch over the same rows; the two take turns in blocks.
 * The tensors are float64 because that is the exported model's input type.
 */
async function scoreBench(scorer: OnnxScorer, bare: ort.InferenceSession, kind: string, X: Float64Array, batch: number): Promise<BenchRow[]> {
  const f = scorer.featureCount;
  const batches = Math.floor(ROWS / batch);
  const tensors = Array.from({ length: batches }, (_, k) => new ort.Tensor("float64", X.subarray(k * batch * f, (k + 1) * batch * f), [batch, f]));
  const ours = (k: number) => scorer.score(X.subarray(k * batch * f, (k + 1) * batch * f), batch);
  const theirs = (k: number) => bare.run({ [ONNX_INPUT]: tensors[k]! });

  // Outside the timing: both paths give the same probabilities for the same rows.
  const check = Math.min(batches, 4);
  let same = true;
  for (let k = 0; k < check; k++) {
    const a = await ours(k);
    const b = (await theirs(k))[ONNX_OUTPUT]!.data as Float64Array;
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) same = false;
  }
  if (!same) process.stderr.write(`bench: models ${kind} batch=${batch}: OnnxScorer and the bare session disagree\n`);

  for (let i = 0; i < 20; i++) {
    await ours(i % batches); // warm-up
    await theirs(i % batches);
  }
  const a: Timing = { latencies: [], elapsed: 0 };
  const b: Timing = { latencies: [], elapsed: 0 };
  for (let r = 0; r < SCORE_ROUNDS; r++) {
    await timeBlock(ours, batches, SCORE_BUDGET_MS / SCORE_ROUNDS, 200 / SCORE_ROUNDS, a);
    await timeBlock(theirs, batches, SCORE_BUDGET_MS / SCORE_ROUNDS, 200 / SCORE_ROUNDS, b);
  }
  const rate = (t: Timing) => (t.latencies.length * batch) / (t.elapsed / 1000);
  const q = (t: Timing, p: number) => {
    const sorted = [...t.latencies].sort((x, y) => x - y);
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000;
  };
  const name = `${kind} onnx batch=${batch}`;
  const baseline = "bare InferenceSession.run, pre-built float64 tensors";
  const note = `${a.latencies.length} vs ${b.latencies.length} calls; ${same ? "outputs identical" : "OUTPUTS DIFFER"}`;
  return [
    { group: "models", name: `${name} throughput`, value: rate(a), baseline: { name: baseline, value: rate(b) }, unit: "rows/s", note },
    { group: "models", name: `${name} p50`, value: q(a, 0.5), baseline: { name: baseline, value: q(b, 0.5) }, unit: "µs/batch", better: "lower" },
    { group: "models", name: `${name} p99`, value: q(a, 0.99), baseline: { name: baseline, value: q(b, 0.99) }, unit: "µs/batch", better: "lower" },
  ];
}

/** Seeded rows with a linear part and an interaction, so both kinds have something to learn. */
function syntheticFeatures(n: number, f: number, seed: number): { X: Float64Array; y: Float64Array; featureNames: string[] } {
  const rand = mulberry32(seed);
  const normal = normalFrom(rand);
  const X = new Float64Array(n * f);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) X[i * f + j] = normal();
    const z = 0.8 * X[i * f]! - 0.5 * X[i * f + 1]! + 1.2 * Math.sign(X[i * f + 2]! * X[i * f + 3]!);
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X, y, featureNames: Array.from({ length: f }, (_, j) => `feature_${j}`) };
}

/** The synchronous TypeScript evaluator (what `predict` calls once per chunk) on the same rows and batch sizes. */
function evaluatorBench(model: ServingModel, kind: string, X: Float64Array, batch: number): BenchRow {
  const f = model.featureNames.length;
  let calls = 0;
  let offset = 0;
  const start = performance.now();
  while (performance.now() - start < SCORE_BUDGET_MS / 2) {
    if (offset + batch > ROWS) offset = 0;
    model.score(X.subarray(offset * f, (offset + batch) * f), batch);
    offset += batch;
    calls++;
  }
  const elapsed = performance.now() - start;
  return {
    group: "models",
    name: `${kind} ts-eval batch=${batch} throughput`,
    value: (calls * batch) / (elapsed / 1000),
    unit: "rows/s",
    note: `${calls} calls, sync`,
  };
}

const BENCH_PIPELINE = (withModel: boolean): string => `
name: bench-model
sources: { bars: { type: bar } }
nodes:
  indicators:
    op: indicators
    in: bars
    params: { set: [{ id: rsi, name: rsi, period: 14 }, { id: roc5, name: roc, period: 5 }, { id: z20, name: zscore, period: 20 }] }
${
  withModel
    ? `  scored: { op: predict, in: indicators, params: { features: [ret, rsi, roc5, z20] } }
  signals: { op: probabilityRule, in: scored, params: { emit: change } }`
    : `  signals: { op: momentumRule, in: indicators, params: { fast: roc5, slow: z20, emit: change } }`
}
sinks: [{ type: console, in: signals }]
`;

/** Bars/s through bars → indicators → (predict → probabilityRule | momentumRule), 8192 bars per push like replay. */
async function pipelineBench(dir: string): Promise<BenchRow[]> {
  const SYMBOLS = 10;
  const BARS = 300_000;
  const names = ["ret", "rsi", "roc5", "z20"];
  const data = syntheticFeatures(5_000, names.length, 7);
  const file = join(dir, "pipeline-logreg.onnx");
  await exportOnnx(trainLogisticRegression(data.X, data.y, 5_000, names), file, {
    modelId: "bench-model-v1",
    name: "bench-model",
    version: 1,
    pipeline: "bench-model",
  });
  const bars: Bar[] = [];
  const normal = normalFrom(mulberry32(99));
  const price = new Float64Array(SYMBOLS).fill(100);
  const t0 = 1_704_205_800_000_000_000n;
  for (let i = 0; i < BARS; i++) {
    const s = i % SYMBOLS;
    const open = price[s]!;
    const close = open * Math.exp(0.002 * normal());
    price[s] = close;
    const tsOpen = t0 + BigInt(Math.floor(i / SYMBOLS)) * 60_000_000_000n;
    bars.push({
      symbol: `S${s}`,
      timeframe: "1m",
      tsOpen,
      tsEvent: tsOpen + 60_000_000_000n,
      open,
      high: Math.max(open, close),
      low: Math.min(open, close),
      close,
      volume: 100,
      vwap: (open + close) / 2,
      trades: 1,
    });
  }
  const measure = (pipeline: CompiledPipeline): number => {
    const instance = new PipelineInstance(pipeline, () => undefined);
    const start = performance.now();
    for (let i = 0; i < BARS; i += 8192) {
      const chunk = bars.slice(i, i + 8192);
      instance.push("bars", chunk, chunk[chunk.length - 1]!.tsEvent);
      instance.takeOutputs();
    }
    instance.finish();
    instance.dispose();
    return BARS / ((performance.now() - start) / 1000);
  };
  const base = measure(parsePipeline(BENCH_PIPELINE(false), "bench.yaml"));
  const bound = await withFixedModel(parsePipeline(BENCH_PIPELINE(true), "bench.yaml"), file);
  const scored = measure(bound.pipeline);
  const c = bound.slots.get("scored")!.counters;
  return [
    {
      group: "models",
      name: "pipeline indicators → momentumRule",
      value: base,
      unit: "bars/s",
      note: `${BARS / 1000}k bars × ${SYMBOLS} symbols, 8192 per push`,
    },
    {
      group: "models",
      name: "pipeline indicators → predict(logreg) → probabilityRule",
      value: scored,
      unit: "bars/s",
      note: `${c.scored} scored, ${c.warmUp} warm-up`,
    },
  ];
}
