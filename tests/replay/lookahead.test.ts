// `check lookahead` on a real DuckDB recording of ORCL daily bars: the reference trading pipelines pass; a
// pipeline with a deliberately leaky operator (it stamps each bar's row with the next bar's close) is caught,
// and the report names the leaky node, the output and the field.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { withDatabase } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import { chunkOperator, WATERMARK_END } from "../../core/chunk.ts";
import { loadPipeline, parsePipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { def } from "../../pipeline/operatorDef.ts";
import { checkLookahead, cutTimes, firstDifference, formatLookahead } from "../../replay/lookahead.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";

const pipelineFile = (name: string) => fileURLToPath(new URL(`../../pipelines/${name}`, import.meta.url));

async function recordBars(db: Database, bars: readonly Bar[]): Promise<void> {
  await new DuckDbRecorder(db).writeInputs(
    BarMessage,
    bars,
    bars.map((b, i) => ({ subject: `md.bars.1d.${b.symbol}`, streamSeq: BigInt(i + 1) })),
  );
}

/** LEAKY ON PURPOSE: emits bar t's row only when bar t+1 arrives, with nextClose = bar t+1's close, stamped t. */
const peekNextClose = def({
  name: "peekNextClose",
  summary: "test only: a lookahead bug",
  inputs: [{ name: "bars", kind: "bar" }],
  output: "features",
  params: z.strictObject({}),
  example: "",
  build:
    () =>
    ([bars]) =>
      bars.pipe(
        chunkOperator<Bar, FeatureRow>(() => {
          let prev: Bar | undefined;
          const row = (b: Bar, next?: Bar): FeatureRow => ({
            id: `${b.symbol}:1d:${b.tsEvent}`,
            symbol: b.symbol,
            tsEvent: b.tsEvent,
            timeframe: "1d",
            values: next ? { close: b.close, nextClose: next.close } : { close: b.close },
          });
          return {
            onItems(items, out) {
              for (const b of items) {
                if (prev) out.push(row(prev, b));
                prev = b;
              }
            },
            onWatermark(w, out) {
              if (w === WATERMARK_END && prev) out.push(row(prev));
            },
          };
        }),
      ),
});

const LEAKY_YAML = `
name: leaky-peek
sources:
  bars: { type: bar }
nodes:
  peek: { op: indicators, in: bars, params: { set: [{ id: nextClose, name: sma, period: 2 }] } }
  broker:
    op: paperBroker
    in: [bars, peek]
    params:
      startingCash: 10000
      policy: { name: signal-close, onBars: signal_close }
      strategy: { name: oracle, direction: long_only, enterLong: { when: "nextClose > close" }, exitLong: { when: "nextClose < close" }, sizing: { kind: fixed_units, units: 100 } }
  fills: { op: fills, in: broker }
  equity: { op: equity, in: broker }
sinks:
  - { type: duckdb, in: fills }
  - { type: duckdb, in: equity }
`;

/** The leaky pipeline: compiled with a stand-in producing `nextClose` (rules must name produced values), then the peek node's operator swapped for the leaky one. */
function leakyPipeline(): CompiledPipeline {
  const p = parsePipeline(LEAKY_YAML, "leaky-peek.yaml");
  return { ...p, nodes: p.nodes.map((n) => (n.name === "peek" ? { ...n, op: peekNextClose, params: {} } : n)) };
}

describe("check lookahead", () => {
  const bars = orclBars();

  it("passes the reference trading pipelines on the recorded ORCL bars", async () => {
    await withDatabase(async (db) => {
      await recordBars(db, bars);
      for (const file of ["sma-crossover.yaml", "momentum-trading.yaml"]) {
        const r = await checkLookahead({ pipeline: await loadPipeline(pipelineFile(file)), db, cuts: 4 });
        expect(r.difference, formatLookahead(r)).toBeUndefined();
        expect(r.cuts).toHaveLength(4);
        expect(r.replays).toBe(5);
        expect(r.inputs).toBe(bars.length);
        expect(r.untimed).toBe(0);
        expect(r.compared).toBeGreaterThan(1000);
        expect(formatLookahead(r)).toContain("OK:");
      }
    });
  });

  it("catches the leaky operator and names its node, output and field", async () => {
    await withDatabase(async (db) => {
      await recordBars(db, bars);
      const r = await checkLookahead({ pipeline: leakyPipeline(), db, cuts: 3 });
      const d = r.difference!;
      expect(d).toBeDefined();
      // The first cut already shows it: the last bar at or before the cut lost its nextClose.
      expect(d.cutNs).toBe(r.cuts[0]);
      expect(r.replays).toBe(2);
      expect(d.node).toBe("peek");
      expect(d.field).toBe("values.nextClose");
      expect(d.tsEvent).toBe(d.cutNs);
      const cutBar = bars.findIndex((b) => b.tsEvent === d.cutNs);
      expect(d.full).toBe(bars[cutBar + 1]!.close);
      expect(d.prefix).toBeUndefined();
      expect(d.id).toBe(`ORCL:1d:${d.cutNs}`);
      const text = formatLookahead(r);
      expect(text).toContain(`LOOKAHEAD: node "peek" (features)`);
      expect(text).toContain(`field "values.nextClose" is ${bars[cutBar + 1]!.close} in the full replay but nothing when data after the cut is removed`);
    });
  });

  it("picks cut times at evenly spaced inputs and never the last one", () => {
    const ts = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n];
    expect(cutTimes(ts, 2)).toEqual([4n, 7n]);
    expect(cutTimes([1n, 1n, 1n], 3)).toEqual([]);
    expect(firstDifference({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 } })).toEqual({ field: "b.c", full: 2, prefix: 3 });
    expect(firstDifference({ payload: '{"price":1}' }, { payload: '{"price":2}' })).toEqual({ field: "payload.price", full: 1, prefix: 2 });
  });
});
