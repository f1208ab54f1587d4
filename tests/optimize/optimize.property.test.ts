// The optimiser's best in-sample variant is what a plain loop finds: one `replay()` per grid point, the declaration
// edited by hand, statistics as `tickflow replay` prints them. Random small grids over the ORCL fixture.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { withDatabase } from "../helpers/duckdb.ts";
import { compilePipeline } from "../../pipeline/graph.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { replay } from "../../replay/replay.ts";
import { summarizeCollected, TradingCollector, tradingOutputs } from "../../replay/backtestSummary.ts";
import { loadInputs, optimizeLoaded } from "../../replay/optimize/optimize.ts";
import type { RankStat } from "../../replay/optimize/walkForward.ts";
import type { PipelineDecl } from "../../pipeline/declaration.ts";
import { recordOrcl, smaDeclaration } from "./fixture.ts";

type Sma = { set: { period: number }[] };

describe("optimize: best in-sample variant = a plain loop of replays", () => {
  it("agrees on random small grids, for several rank statistics", async () => {
    await withDatabase(async (db) => {
      await recordOrcl(db);
      const { decl, source } = smaDeclaration();
      const base = compilePipeline(decl, source, CONNECTORS);
      const inputs = await loadInputs(db, base);
      const plain = new Map<string, Awaited<ReturnType<typeof summarizeCollected>>>();
      const plainRun = async (fast: number, slow: number, percent: number) => {
        const key = `${fast}/${slow}/${percent}`;
        if (!plain.has(key)) {
          const d = structuredClone(decl) as PipelineDecl;
          (d.nodes.indicators!.params as Sma).set[0]!.period = fast;
          (d.nodes.indicators!.params as Sma).set[1]!.period = slow;
          (d.nodes.broker!.params as { strategy: { sizing: { percent: number } } }).strategy.sizing.percent = percent;
          const p = compilePipeline(d, source, CONNECTORS);
          const collector = new TradingCollector();
          await replay({ pipeline: p, db, runId: `plain-${key}`, record: false, extraSinks: tradingOutputs(p).map((node) => ({ port: collector, node })) });
          plain.set(key, await summarizeCollected(db, p, collector.record));
        }
        return plain.get(key)!;
      };
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 3, max: 12 }), { minLength: 1, maxLength: 3 }),
          fc.uniqueArray(fc.integer({ min: 14, max: 40 }), { minLength: 1, maxLength: 2 }),
          fc.uniqueArray(fc.constantFrom(20, 50, 100), { minLength: 1, maxLength: 2 }),
          fc.constantFrom<RankStat>("sharpe", "totalReturn", "maxDrawdown", "sqn"),
          async (fasts, slows, percents, rank) => {
            const r = await optimizeLoaded(
              {
                decl,
                source,
                connectors: CONNECTORS,
                params: [
                  { path: "indicators.set.0.period", values: fasts },
                  { path: "indicators.set.1.period", values: slows },
                  { path: "broker.strategy.sizing.percent", values: percents },
                ],
                rank,
                workers: 0,
              },
              inputs,
            );
            // The plain loop, in the same grid order (first parameter slowest), first best on ties.
            let best: { key: number[]; value: number } | undefined;
            const better = (a: number, b: number) => {
              const s = (x: number) => (Number.isNaN(x) ? -Infinity : rank === "maxDrawdown" ? -x : x);
              return s(a) > s(b);
            };
            for (const f of fasts)
              for (const s of slows)
                for (const p of percents) {
                  const value = (await plainRun(f, s, p))!.stats[rank];
                  if (!best || better(value, best.value)) best = { key: [f, s, p], value };
                }
            expect(r.variants[r.best]).toEqual(best!.key);
            expect(r.runs[r.best]!.stats[rank]).toBe(best!.value);
            expect(r.runs.length).toBe(fasts.length * slows.length * percents.length);
          },
        ),
        { numRuns: 8, seed: 11 },
      );
    });
  });
});
