// Test fixture: a seeded simulated market recorded to DuckDB, and a pipeline with a predict node that records its
// feature rows (table `features`) and signals, so model tests train from what the operators actually produced.
import type { Database } from "../../io/duckdb/database.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { simulate } from "../../sources/simulator.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";
import { NewsMessage, type News } from "../../schemas/news.ts";
import type { AnyMessageType } from "../../schemas/message.ts";

export const FEATURES = ["ret", "rsi", "roc5", "z20", "sentiment"] as const;

export const MODEL_PIPELINE = `
name: sim-model
sources:
  trades: { type: trade }
  news: { type: news }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1m } }
  indicators:
    op: indicators
    in: bars
    params:
      set:
        - { id: rsi, name: rsi, period: 14 }
        - { id: roc5, name: roc, period: 5 }
        - { id: z20, name: zscore, period: 20 }
  sentiment: { op: scoreSentiment, in: news }
  joined: { op: sentimentAsOf, in: [indicators, sentiment], params: { maxStaleness: 4h, halfLife: 30m } }
  scored: { op: predict, in: joined, params: { features: [${FEATURES.join(", ")}] } }
  signals: { op: probabilityRule, in: scored, params: { buyAbove: 0.5, sellBelow: 0.4999, emit: every } }
sinks:
  - { type: duckdb, in: joined }
  - { type: duckdb, in: signals }
`;

/** @param maxDelay live sequencing slack (event time), e.g. "30m" so a news lane a little behind is not late */
export function modelPipeline(maxDelay?: string): CompiledPipeline {
  return parsePipeline(maxDelay === undefined ? MODEL_PIPELINE : `${MODEL_PIPELINE}\nsequencing: { maxDelay: ${maxDelay} }\n`, "sim-model.yaml");
}

export const SIM_START_NS = 1_704_205_800_000_000_000n;

/** The simulator's trades and news for `minutes` of event time (seeded: same messages every run). */
export function simulatedInputs(minutes: number, seed = 11): { trades: Trade[]; news: News[] } {
  const trades: Trade[] = [];
  const news: News[] = [];
  const end = SIM_START_NS + BigInt(minutes) * 60_000_000_000n;
  for (const m of simulate({ symbols: ["AAPL", "MSFT", "NVDA"], seed, startNs: SIM_START_NS, tradesPerSecond: 0.6, newsEverySeconds: 300 })) {
    if (m.msg.tsEvent >= end) break;
    if (m.kind === "trade") trades.push(m.msg);
    else news.push(m.msg);
  }
  return { trades, news };
}

/** Records inputs as a live run would (tables trades/news with subject and stream sequence). */
export async function recordInputs(db: Database, inputs: { trades: Trade[]; news: News[] }): Promise<void> {
  const sink = new DuckDbRecorder(db);
  await sink.ensureRecording([TradeMessage, NewsMessage] as AnyMessageType[]);
  await sink.writeInputs(
    TradeMessage,
    inputs.trades,
    inputs.trades.map((t, i) => ({ subject: `md.trades.${t.symbol}`, streamSeq: BigInt(i + 1) })),
  );
  await sink.writeInputs(
    NewsMessage,
    inputs.news,
    inputs.news.map((n, i) => ({ subject: `news.${n.source}`, streamSeq: BigInt(i + 1) })),
  );
}
