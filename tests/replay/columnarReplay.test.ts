// Replay hands trades to the operators that read columns (bars) as typed-array columns, and builds trade objects only
// for the others: the outputs, digests and dead letters must be those of the per-event path, for any batching.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { replay } from "../../replay/replay.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { simulate, DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { NewsMessage, TradeMessage } from "../../schemas/index.ts";
import { simulatedBatch } from "../../sources/simulatedFeed.ts";
import { PACKAGE_ROOT } from "../../io/packageRoot.ts";
import type { Database } from "../../io/duckdb/database.ts";

/** Trades with two consumers: bars reads columns, tradeWindowStats reads objects (the rows are built for it). */
const SHARED = `
name: columnar-shared
sources:
  trades: { type: trade, subjects: ["md.trades.>"] }
  news: { type: news, subjects: ["news.>"] }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1m } }
  stats: { op: tradeWindowStats, in: trades, params: { window: { type: tumbling, size: 1m } } }
  indicators: { op: indicators, in: bars, params: { set: [{ id: ema, name: ema, period: 5 }] } }
sinks:
  - { type: duckdb, in: bars }
  - { type: duckdb, in: stats }
  - { type: duckdb, in: indicators }
`;

async function record(db: Database): Promise<void> {
  const { trades, tradeOrigins, news, newsOrigins } = simulatedBatch(
    simulate({ symbols: ["AAPL", "MSFT", "NVDA", "KO"], seed: 5, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 20, newsEverySeconds: 90 }),
    30_000,
  );
  // One trade whose size would overflow its bar's volume: bars dead-letters it, and needs the trade object for it.
  const t = trades[20_000]!;
  trades.push({ ...t, id: `${t.id}-huge`, size: Number.MAX_VALUE, tsEvent: t.tsEvent + 1n });
  tradeOrigins.push({ subject: `md.trades.${t.symbol}`, streamSeq: 30_001n });
  const sink = new DuckDbRecorder(db);
  await sink.writeInputs(TradeMessage, trades, tradeOrigins);
  await sink.writeInputs(NewsMessage, news, newsOrigins);
}

async function deadLetters(db: Database, runId: string): Promise<unknown[]> {
  return (
    await db.query<{ node: string; reason: string; payload: string }>(
      `SELECT node, reason, payload FROM dead_letters WHERE run_id = '${runId}' ORDER BY out_seq`,
    )
  ).map((r) => [r.node, r.reason, r.payload]);
}

describe("columnar replay", () => {
  it("gives the per-event digests, counters and dead letters for any batch size, on momentum-sentiment and a shared trade source", async () => {
    await withDatabase(async (db) => {
      await record(db);
      const pipelines = [parsePipeline(readFileSync(join(PACKAGE_ROOT, "pipelines", "momentum-sentiment.yaml"), "utf8")), parsePipeline(SHARED)];
      let runs = 0;
      for (const pipeline of pipelines) {
        const ref = await replay({ pipeline, db, runId: `ref-${pipeline.decl.name}`, columnar: false });
        expect(ref.counters.inputs).toBe(30_001);
        expect(ref.counters.deadLetters).toBe(1);
        const refDead = await deadLetters(db, `ref-${pipeline.decl.name}`);
        expect(refDead).toHaveLength(1);
        expect(String(refDead[0])).toMatch(/overflow/);
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: 9000 }), async (batchSize) => {
            const runId = `col-${runs++}`;
            const got = await replay({ pipeline, db, runId, batchSize, columnar: true });
            expect(got.digest).toBe(ref.digest);
            expect(got.perNodeDigest).toEqual(ref.perNodeDigest);
            expect(got.counters).toEqual({ ...ref.counters, batches: got.counters.batches });
            expect(await deadLetters(db, runId)).toEqual(refDead);
          }),
          { numRuns: 6, seed: 3, examples: [[1], [8192]] },
        );
      }
    });
  }, 240_000);
});
