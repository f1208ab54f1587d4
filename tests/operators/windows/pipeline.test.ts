// Declaration test: a YAML pipeline naming the window, resample and join operators loads through parsePipeline
// and runs through PipelineRun; outputs validate against their message types and late trades reach the DLQ.
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../../app/loadPipeline.ts";
import { PipelineDeclarationError } from "../../../pipeline/declaration.ts";
import type { RunCounters } from "../../../runtime/pipelineRun.ts";
import { RunDriver } from "../../../runtime/runDriver.ts";
import { MemoryInput } from "../../../runtime/memoryInput.ts";
import type { InputBatch, OutputPort } from "../../../runtime/ports.ts";
import { KINDS, type Kind } from "../../../schemas/kinds.ts";
import type { DeadLetter } from "../../../schemas/deadLetter.ts";
import { parse as parseYaml } from "yaml";
import { WINDOW_OPERATORS } from "../../../pipeline/catalog/windows.ts";

const YAML = `
name: windows-demo
sources:
  trades: { type: trade }
  news: { type: news }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1m } }
  bars5m: { op: resample, in: bars, params: { timeframe: 5m } }
  daily:
    op: resample
    in: bars
    params: { timeframe: 1d, session: { timezone: America/New_York, open: "09:30", close: "16:00" }, outsideSession: skip }
  tradeStats: { op: tradeWindowStats, in: trades, params: { window: { type: tumbling, size: 1m }, allowedLateness: 2s } }
  barStats: { op: windowStats, in: bars, params: { window: { type: sliding, size: 15m, slide: 5m }, prefix: w15. } }
  bursts: { op: tradeWindowStats, in: trades, params: { window: { type: session, gap: 30s } } }
  joined: { op: intervalJoin, in: [tradeStats, barStats], params: { before: 5m, rightPrefix: s15. } }
  sentiment: { op: scoreSentiment, in: news }
  withNews: { op: keyedJoin, in: [tradeStats, sentiment], params: { ttl: 10m, as: news } }
sinks:
  - { type: duckdb, in: bars5m }
  - { type: duckdb, in: daily }
  - { type: duckdb, in: tradeStats }
  - { type: duckdb, in: barStats }
  - { type: duckdb, in: bursts }
  - { type: duckdb, in: joined }
  - { type: duckdb, in: withNews }
`;

const S = 1_000_000_000n;
const T0 = BigInt(Date.parse("2024-01-02T14:00:00Z")) * 1_000_000n; // 09:00 New York, half an hour before the open

/** Trades every 5 s for AAPL and MSFT from 09:00 to 16:30 New York (AAPL pauses 2 minutes at 10:00), news every 20 minutes. */
function inputs(): { sources: number[]; items: { tsEvent: bigint }[] } {
  const sources: number[] = [];
  const items: { tsEvent: bigint }[] = [];
  let n = 0;
  for (let t = 0n; t < 7n * 3600n + 1800n; t += 5n) {
    const ts = T0 + t * S;
    if (t % 1200n === 0n) {
      items.push({
        id: `n${t}`,
        source: "wire",
        tsEvent: ts,
        headline: t % 2400n === 0n ? "Apple shares soar after earnings beat" : "Microsoft cuts guidance, shares fall",
        symbols: [],
      } as never);
      sources.push(1);
    }
    for (const [symbol, base] of [
      ["AAPL", 190],
      ["MSFT", 370],
    ] as const) {
      if (symbol === "AAPL" && t >= 3600n && t < 3720n) continue;
      items.push({ id: `t${n++}`, symbol, tsEvent: ts, price: base + Math.sin(Number(t) / 600) * 2, size: 1 + (n % 7) } as never);
      sources.push(0);
    }
  }
  return { sources, items };
}

async function run(
  batch: number,
  lateTrade = false,
): Promise<{ outputs: Map<string, { kind: Kind; items: unknown[] }>; dead: DeadLetter[]; digest: string; counters: RunCounters }> {
  const outputs = new Map<string, { kind: Kind; items: unknown[] }>();
  const sink: OutputPort = {
    name: "memory",
    stage: "observe",
    async write(node, kind, items) {
      const o = outputs.get(node) ?? { kind, items: [] };
      o.items.push(...items);
      outputs.set(node, o);
    },
  };
  const dead: DeadLetter[] = [];
  const pipeline = parsePipeline(YAML, "windows-demo.yaml");
  const { sources, items } = inputs();
  const batches: InputBatch[] = [];
  for (let i = 0; i < items.length; i += batch) {
    const j = Math.min(i + batch, items.length);
    const wm = j < items.length ? items[j]!.tsEvent : items[j - 1]!.tsEvent + 1n;
    batches.push({ sources: sources.slice(i, j), items: items.slice(i, j), watermark: wm });
    if (lateTrade && i === 0 + batch * 40) {
      // A trade 10 minutes behind the watermark: its 1m window (and its bar) were emitted long ago.
      batches.push({ sources: [0], items: [{ id: "late-1", symbol: "AAPL", tsEvent: wm - 600n * S, price: 190, size: 1 } as never], watermark: wm });
    }
  }
  const driver = new RunDriver({
    pipeline,
    runId: "test",
    mode: "check",
    input: MemoryInput.of(batches),
    outputs: pipeline.outputs.map((node) => ({ port: sink, node })),
    deadLetters: [
      {
        stage: "record",
        write: async (d) => {
          dead.push(...d);
        },
      },
    ],
  });
  const summary = await driver.execute();
  return { outputs, dead, digest: summary.digest, counters: summary.counters };
}

describe("window operators in a declared pipeline", () => {
  it("loads, runs, and every output validates as its kind", async () => {
    const { outputs, dead } = await run(997);
    for (const [node, { kind, items }] of outputs) {
      for (const item of items) KINDS[kind].decodeBytes(KINDS[kind].encodeBytes(item as never), `${node}`);
    }
    const count = (n: string) => outputs.get(n)?.items.length ?? 0;
    expect(count("bars5m")).toBe(2 * 90); // 7.5 h of trades per symbol
    const daily = outputs.get("daily")!.items as { symbol: string; tsOpen: bigint; tsEvent: bigint }[];
    expect(daily.map((b) => [b.symbol, new Date(Number(b.tsOpen / 1_000_000n)).toISOString(), new Date(Number(b.tsEvent / 1_000_000n)).toISOString()])).toEqual(
      [
        ["AAPL", "2024-01-02T14:30:00.000Z", "2024-01-02T21:00:00.000Z"],
        ["MSFT", "2024-01-02T14:30:00.000Z", "2024-01-02T21:00:00.000Z"],
      ],
    );
    expect(count("tradeStats")).toBe(2 * 450 - 2);
    const bursts = outputs.get("bursts")!.items as { symbol: string; values: Record<string, number> }[];
    expect(bursts.map((b) => b.symbol)).toEqual(["AAPL", "AAPL", "MSFT"]); // AAPL's 2-minute pause splits its session; order is (end, symbol)
    expect(count("barStats")).toBeGreaterThan(2 * 90);
    expect(count("joined")).toBeGreaterThan(0);
    const withNews = outputs.get("withNews")!.items as { values: Record<string, number> }[];
    expect(withNews.length).toBeGreaterThan(0);
    expect(withNews.every((r) => Math.abs(r.values["news.ageSeconds"]!) <= 600)).toBe(true);
    expect(dead).toEqual([]);
  });

  it("is deterministic across batchings, and a late trade is dead-lettered and counted by each window node", async () => {
    const a = await run(997);
    const b = await run(64);
    expect(b.digest).toBe(a.digest);
    const late = await run(256, true);
    const stages = late.dead.map((d) => d.stage).sort();
    expect(stages).toEqual(["bars", "bursts", "tradeStats"]);
    expect(late.dead.find((d) => d.stage === "tradeStats")!.reason).toMatch(/already emitted/);
    expect(late.counters.deadLetters).toBe(3);
  });

  it("rejects bad window parameters at load with the path and an example", () => {
    const bad = YAML.replace("window: { type: tumbling, size: 1m }", "window: { type: hopping, size: 1m }");
    expect(() => parsePipeline(bad, "bad.yaml")).toThrow(PipelineDeclarationError);
    expect(() => parsePipeline(bad, "bad.yaml")).toThrow(/bad\.yaml:\d+:\d+: at nodes\.tradeStats\.params\.window\.type: .*example: \{ op: tradeWindowStats/);
    const slide = YAML.replace("size: 15m, slide: 5m", "size: 5m, slide: 15m");
    expect(() => parsePipeline(slide, "bad.yaml")).toThrow(/nodes\.barStats\.params\.window\.slide: slide must not exceed size/);
    const zone = YAML.replace("America/New_York", "America/Gotham");
    expect(() => parsePipeline(zone, "bad.yaml")).toThrow(/nodes\.daily\.params: .*"America\/Gotham" is not a known IANA zone/);
  });

  it("every catalog entry's example has valid parameters and its input kinds", () => {
    expect(WINDOW_OPERATORS.map((o) => o.name)).toEqual(["resample", "windowStats", "tradeWindowStats", "intervalJoin", "keyedJoin"]);
    for (const op of WINDOW_OPERATORS) {
      const ex = parseYaml(op.example) as { op: string; in: string | string[]; params?: unknown };
      expect(ex.op).toBe(op.name);
      expect([ex.in].flat()).toHaveLength(op.inputs.length);
      const parsed = op.params.safeParse(ex.params ?? {});
      expect(parsed.success, `${op.name}: ${parsed.error?.message}`).toBe(true);
    }
  });
});
