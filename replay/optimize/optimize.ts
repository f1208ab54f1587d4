// `tickflow optimize`: a parameter sweep over one loaded recording. Every variant is the declaration with its
// overrides applied, compiled normally (a bad value is refused before anything runs), then run in memory (inline or
// on worker threads); ranked by a statistic, with walk-forward and the overfitting guards (PBO, DSR).
import { TickflowError } from "../../core/errors.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { compilePipeline, type CompiledPipeline } from "../../pipeline/graph.ts";
import type { DeclarationSource, PipelineDecl } from "../../pipeline/declaration.ts";
import type { ConnectorCatalog } from "../../pipeline/connectorSpec.ts";
import type { OperatorDef } from "../../pipeline/operatorDef.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { InputBatch } from "../../runtime/ports.ts";
import { readRecording, type ReplayRange } from "../replayReader.ts";
import { tradingOutputs } from "../backtestSummary.ts";
import type { LoadedInputs, VariantRun } from "./evaluate.ts";
import { gridVariants, OptimizeParamError, parseConstraint, randomVariants, variantDecl, variantLabel, type ParamSpec, type Variant } from "./params.ts";
import { runVariants } from "./variantPool.ts";
import { bestOf, rankBy, walkForward, type RankStat, type WalkForward } from "./walkForward.ts";
import { deflatedSharpe, probabilityOfOverfitting, type DeflatedSharpe, type PboResult } from "./overfitting.ts";

export interface OptimizeOptions {
  readonly decl: PipelineDecl;
  readonly source: DeclarationSource;
  /** The catalog the variants are checked against (app/connectors.ts CONNECTORS). */
  readonly connectors: ConnectorCatalog;
  readonly userOperators?: ReadonlyMap<string, OperatorDef<unknown>>;
  readonly params: readonly ParamSpec[];
  readonly method?: "grid" | "random";
  /** random: how many grid points to draw. */
  readonly samples?: number;
  readonly seed?: number;
  readonly constraints?: readonly string[];
  readonly rank?: RankStat;
  readonly walkForward?: { readonly folds: number; readonly inSampleFraction: number };
  /** CSCV blocks for the PBO (even). Default 16. */
  readonly pboBlocks?: number;
  /** Worker threads; 0 runs the variants inline in this thread. */
  readonly workers: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface OptimizeResult {
  readonly params: readonly ParamSpec[];
  readonly variants: readonly Variant[];
  readonly labels: readonly string[];
  readonly rank: RankStat;
  readonly runs: readonly VariantRun[];
  /** Variant indices by the rank statistic, best first. */
  readonly ranking: readonly number[];
  readonly best: number;
  /** The shared timeline and each variant's equity on it. */
  readonly ts: BigInt64Array;
  readonly equity: readonly Float64Array[];
  /** Buy and hold of the first bar symbol on the timeline, scaled to the starting equity. */
  readonly buyAndHold: Float64Array;
  readonly walkForward?: WalkForward;
  readonly pbo: PboResult;
  readonly dsr: DeflatedSharpe;
}

/** No inputs to optimise over: says how to get some. */
export class EmptyRecordingError extends TickflowError {
  static override readonly code = "OPTIMIZE_NOTHING_TO_READ";
  override readonly name = "EmptyRecordingError";
}

/** Reads the inputs the pipeline's sources would read, in replay order, into memory (once, in this thread). */
export async function loadInputs(db: Database, pipeline: CompiledPipeline, range: ReplayRange = {}, batchSize = 8192): Promise<LoadedInputs> {
  const batches: InputBatch[] = [];
  const bars: Bar[] = [];
  const barSources = new Set(pipeline.sources.filter((s) => s.kind === "bar").map((s) => s.rank));
  for await (const b of readRecording(db, pipeline.sources, range, { batchSize })) {
    batches.push({ items: b.items, sources: b.sources, watermark: b.watermark });
    b.items.forEach((x, i) => {
      if (barSources.has(b.sources[i]!)) bars.push(x as Bar);
    });
  }
  if (batches.every((b) => b.items.length === 0)) {
    const subjects = pipeline.sources.flatMap((s) => s.subjects).join(", ");
    throw new EmptyRecordingError(
      `nothing to optimise over: the recording has no inputs for pipeline ${pipeline.decl.name} (subjects ${subjects})${range.fromNs !== undefined || range.toNs !== undefined ? " in the --from/--to range" : ""}; import some first, e.g. tickflow import ../shared/data/market/orcl-1995-2014.txt --symbol ORCL`,
    );
  }
  return { batches, bars };
}

/** The variants to run and their declarations, each compiled once here so a bad value fails before anything runs. */
export function planVariants(
  o: Pick<OptimizeOptions, "decl" | "source" | "connectors" | "userOperators" | "params" | "method" | "samples" | "seed" | "constraints">,
) {
  if (o.params.length === 0) throw new OptimizeParamError("give at least one --param PATH=SPEC, e.g. --param indicators.set.0.period=5..50:5");
  const constraints = (o.constraints ?? []).map((c) => parseConstraint(c, o.params));
  const variants =
    (o.method ?? "grid") === "random" ? randomVariants(o.params, o.samples ?? 50, o.seed ?? 1, constraints) : gridVariants(o.params, constraints);
  if (variants.length === 0) throw new OptimizeParamError("no variant satisfies the constraints");
  const decls = variants.map((v, i) => {
    const d = variantDecl(o.decl, o.params, v);
    try {
      compilePipeline(d, o.source, o.connectors, o.userOperators);
    } catch (e) {
      throw new OptimizeParamError(`variant ${i + 1} (${variantLabel(o.params, v)}) is refused: ${(e as Error).message}`, { cause: e });
    }
    return d;
  });
  return { variants, decls, labels: variants.map((v) => variantLabel(o.params, v)) };
}

/** Each run's equity at the timeline's points (the last value at or before each point). */
function align(runs: readonly VariantRun[], ts: BigInt64Array): Float64Array[] {
  return runs.map((r) => {
    if (r.ts.length === ts.length && r.ts.every((t, i) => t === ts[i])) return r.equity;
    const out = new Float64Array(ts.length);
    let j = 0;
    for (let i = 0; i < ts.length; i++) {
      while (j + 1 < r.ts.length && r.ts[j + 1]! <= ts[i]!) j++;
      out[i] = r.equity[j]!;
    }
    return out;
  });
}

function returnsOf(e: Float64Array): Float64Array {
  const r = new Float64Array(e.length - 1);
  for (let i = 1; i < e.length; i++) r[i - 1] = e[i]! / e[i - 1]! - 1;
  return r;
}

function buyAndHoldCurve(bars: readonly Bar[], ts: BigInt64Array, start: number): Float64Array {
  const out = new Float64Array(ts.length).fill(start);
  const sym = bars[0]?.symbol;
  const own = bars.filter((b) => b.symbol === sym);
  if (own.length === 0) return out;
  let j = -1;
  for (let i = 0; i < ts.length; i++) {
    while (j + 1 < own.length && own[j + 1]!.tsEvent <= ts[i]!) j++;
    out[i] = start * (j < 0 ? 1 : own[j]!.close / own[0]!.open);
  }
  return out;
}

/** Runs the sweep over inputs already loaded (loadInputs), with the trading outputs of the base pipeline. */
export async function optimizeLoaded(o: OptimizeOptions, inputs: LoadedInputs): Promise<OptimizeResult> {
  const base = compilePipeline(o.decl, o.source, o.connectors, o.userOperators);
  const outputs = tradingOutputs(base);
  if (!outputs.some((n) => base.kindOf(n) === "equity"))
    throw new OptimizeParamError(
      `pipeline ${o.decl.name} has no equity output: add { op: equity, in: <broker> } with a sink, the optimiser ranks its equity curve`,
    );
  const plan = planVariants(o);
  const rank = o.rank ?? "sharpe";
  const runs = await runVariants({
    inputs,
    outputs,
    decls: plan.decls,
    workers: o.workers,
    userOperators: o.userOperators,
    onDone: (d) => o.onProgress?.(d, plan.decls.length),
  });
  const ts = runs[0]!.ts;
  const equity = align(runs, ts);
  const values = runs.map((r) => r.stats[rank]);
  const best = bestOf(values, rank);
  const returns = equity.map(returnsOf);
  return {
    params: o.params,
    variants: plan.variants,
    labels: plan.labels,
    rank,
    runs,
    ranking: rankBy(values, rank),
    best,
    ts,
    equity,
    buyAndHold: buyAndHoldCurve(inputs.bars, ts, runs[0]!.stats.startEquity),
    walkForward: o.walkForward ? walkForward(runs, equity, ts, { ...o.walkForward, rank }) : undefined,
    pbo: probabilityOfOverfitting(returns, o.pboBlocks ?? 16),
    dsr: deflatedSharpe(returns, best),
  };
}

/** Loads the recording the pipeline's sources read (once) and runs the sweep. */
export async function optimize(
  o: OptimizeOptions & { readonly db: Database; readonly range?: ReplayRange; readonly batchSize?: number },
): Promise<OptimizeResult> {
  const base = compilePipeline(o.decl, o.source, o.connectors, o.userOperators);
  planVariants(o); // refuse bad paths and values before reading anything
  const inputs = await loadInputs(o.db, base, o.range, o.batchSize);
  return optimizeLoaded(o, inputs);
}
