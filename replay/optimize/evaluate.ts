// One variant over the loaded inputs, in memory: compile its declaration against a catalog that reads nothing (the
// inputs are already loaded) and collects the trading outputs, run it through the same RunDriver as replay, and
// keep its equity curve, trades and statistics. No DuckDB, no clock: used inline and by the workers.
import { z } from "zod";
import { compilePipeline } from "../../pipeline/graph.ts";
import type { DeclarationSource, PipelineDecl } from "../../pipeline/declaration.ts";
import type { ConnectorCatalog } from "../../pipeline/connectorSpec.ts";
import type { OperatorDef } from "../../pipeline/operatorDef.ts";
import { SOURCE_KINDS } from "../../schemas/kinds.ts";
import type { Bar } from "../../schemas/bar.ts";
import { RunDriver } from "../../runtime/runDriver.ts";
import { MemoryInput } from "../../runtime/memoryInput.ts";
import type { InputBatch } from "../../runtime/ports.ts";
import { periodsPerYear, type BacktestStats } from "../../trading/stats.ts";
import { pipelineInstruments, summarizeBacktest, TradingCollector, tradingOutputs, type MarketContext } from "../backtestSummary.ts";

/** The inputs of a run, loaded once: plain data a worker receives by structured clone. */
export interface LoadedInputs {
  readonly batches: readonly InputBatch[];
  /** The bars among them (for buy and hold and the first bar's open), in input order. */
  readonly bars: readonly Bar[];
}

/** What the optimiser keeps of a variant's run. */
export interface VariantRun {
  readonly index: number;
  /** Equity curve: the starting point, then one point per equity event time. */
  readonly ts: BigInt64Array;
  readonly equity: Float64Array;
  /** Round trips: P&L, return and exit time (for statistics of a slice). */
  readonly trades: readonly { readonly pnl: number; readonly returnPct: number; readonly exitTs: bigint }[];
  readonly stats: Omit<BacktestStats, "drawdowns">;
  readonly periodsPerYear: number;
}

/** A compile catalog for inputs already loaded: every source connector passes (the real one checked it), one sink. */
function memoryCatalog(decl: PipelineDecl): ConnectorCatalog {
  const connectors = [...new Set(Object.values(decl.sources).map((s) => s.connector))];
  return {
    sources: connectors.map((connector) => ({
      connector,
      summary: "loaded inputs",
      params: z.unknown(),
      example: "",
      kinds: SOURCE_KINDS,
      subjects: () => [],
    })),
    sinks: [{ type: "collect", summary: "in-memory collector", params: z.unknown(), example: "", modes: ["replay", "check"] }],
  };
}

const NO_SOURCE: DeclarationSource = { file: "(variant)", locate: () => undefined };

/** The market context `marketContext` reads from DuckDB, computed over the loaded bars (same definitions). */
export function memoryMarketContext(bars: readonly Bar[], symbols: readonly string[], fromTs: bigint, toTs: bigint): MarketContext {
  const want = new Set(symbols);
  const per = new Map<string, { first: Bar; last: Bar; start: bigint; tf: Map<string, number> }>();
  for (const b of bars) {
    if (!want.has(b.symbol) || b.tsEvent < fromTs || b.tsEvent > toTs) continue;
    const x = per.get(b.symbol);
    if (!x) per.set(b.symbol, { first: b, last: b, start: b.tsOpen, tf: new Map([[b.timeframe, 1]]) });
    else {
      if (b.tsEvent < x.first.tsEvent) x.first = b;
      if (b.tsEvent >= x.last.tsEvent) x.last = b;
      if (b.tsOpen < x.start) x.start = b.tsOpen;
      x.tf.set(b.timeframe, (x.tf.get(b.timeframe) ?? 0) + 1);
    }
  }
  const rows = [...per.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (rows.length === 0) return { buyAndHold: [] };
  const startTs = rows.reduce((m, [, r]) => (r.start < m ? r.start : m), rows[0]![1].start);
  const mode = [...rows[0]![1].tf.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  return { buyAndHold: rows.map(([symbol, r]) => ({ symbol, first: r.first.open, last: r.last.close })), startTs, timeframe: mode };
}

/** Compiles a variant for an in-memory run: its sinks become collectors of the trading outputs. */
export function compileForMemory(decl: PipelineDecl, outputs: readonly string[], userOperators?: ReadonlyMap<string, OperatorDef<unknown>>) {
  const d: PipelineDecl = { ...decl, sinks: outputs.map((n) => ({ type: "collect", in: n, params: {} })) };
  return compilePipeline(d, NO_SOURCE, memoryCatalog(d), userOperators);
}

/**
 * Runs one variant's declaration over the loaded inputs. `outputs`: the trading output nodes of the pipeline
 * (tradingOutputs of its real compile). Throws when the variant has no equity output or no equity snapshot.
 */
export async function runVariant(
  index: number,
  decl: PipelineDecl,
  outputs: readonly string[],
  inputs: LoadedInputs,
  userOperators?: ReadonlyMap<string, OperatorDef<unknown>>,
): Promise<VariantRun> {
  const pipeline = compileForMemory(decl, outputs, userOperators);
  const collector = new TradingCollector();
  const driver = new RunDriver({
    pipeline,
    runId: `optimize-${index}`,
    mode: "replay",
    input: MemoryInput.of(inputs.batches),
    outputs: tradingOutputs(pipeline).map((node) => ({ port: collector, node })),
  });
  await driver.execute();
  const rec = collector.record;
  if (rec.equity.length === 0)
    throw new Error(
      `variant ${index}: pipeline ${decl.name} produced no equity snapshot (it needs an equity node, e.g. { op: equity, in: broker }, with a sink)`,
    );
  const symbols = [...new Set([...rec.positions.map((x) => x.symbol), ...rec.fills.map((f) => f.symbol)])].sort();
  const market = memoryMarketContext(inputs.bars, symbols, rec.equity[0]!.tsEvent, rec.equity.at(-1)!.tsEvent);
  const s = summarizeBacktest(rec, market, { instruments: pipelineInstruments(pipeline) })!;
  const { drawdowns: _drawdowns, ...stats } = s.stats;
  // The annualisation summarizeBacktest used (nominal, or observed points per year for sparse snapshots).
  const nominal = periodsPerYear(s.timeframe);
  const years = Number(s.curve.at(-1)!.tsEvent - s.curve[0]!.tsEvent) / (365.25 * 86_400e9);
  const n = s.curve.length - 1;
  return {
    index,
    ts: BigInt64Array.from(s.curve.map((p) => p.tsEvent)),
    equity: Float64Array.from(s.curve.map((p) => p.equity)),
    trades: s.trades.map((t) => ({ pnl: t.pnl, returnPct: t.returnPct, exitTs: t.exitTs })),
    stats,
    periodsPerYear: years > 0 && n < 0.8 * nominal * years ? n / years : nominal,
  };
}
