// A crash must not change what a pipeline computes: every shipped pipeline, stopped after a batch, checkpointed
// through the codec and resumed in a fresh PipelineRun, gives the digest and outputs of the uninterrupted run.
// An operator that keeps state outside its declared state object fails here.
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { from, lastValueFrom, toArray } from "rxjs";
import { loadPipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { PipelineRun, type RunCheckpoint } from "../../runtime/pipelineRun.ts";
import { decodeState, encodeState } from "../../core/stateCodec.ts";
import { simulate } from "../../sources/simulator.ts";
import { bars } from "../../operators/bars.ts";
import type { Chunk } from "../../core/chunk.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { Trade } from "../../schemas/trade.ts";
import type { News } from "../../schemas/news.ts";
import { WATERMARK_END } from "../../core/chunk.ts";

interface Batch {
  readonly sources: number[];
  readonly items: { tsEvent: bigint }[];
  readonly watermark: bigint;
}

const START = 1_704_205_800_000_000_000n;

/** Simulated trades and news, and 1m bars of the trades. */
async function feed(count: number): Promise<{ trades: Trade[]; news: News[]; bars: Bar[] }> {
  const trades: Trade[] = [];
  const news: News[] = [];
  for (const m of simulate({ symbols: ["AAPL", "MSFT", "ZZZ"], seed: 11, startNs: START, tradesPerSecond: 0.5, newsEverySeconds: 120 })) {
    if (m.kind === "trade") trades.push(m.msg);
    else news.push(m.msg);
    if (trades.length + news.length === count) break;
  }
  const chunks = await lastValueFrom(from([{ items: trades, watermark: WATERMARK_END } as Chunk<Trade>]).pipe(bars({ timeframe: "1m" }), toArray()));
  return { trades, news, bars: chunks.flatMap((c) => [...c.items]) };
}

/** The pipeline's inputs by kind, merged in event-time order (then source rank), cut into batches of `size`. */
function batchesFor(p: CompiledPipeline, data: Awaited<ReturnType<typeof feed>>, size: number): Batch[] {
  const all: { s: number; item: { tsEvent: bigint } }[] = [];
  for (const src of p.sources) {
    const items = src.kind === "trade" ? data.trades : src.kind === "news" ? data.news : src.kind === "bar" ? data.bars : [];
    for (const item of items) all.push({ s: src.rank, item });
  }
  all.sort((a, b) => (a.item.tsEvent < b.item.tsEvent ? -1 : a.item.tsEvent > b.item.tsEvent ? 1 : a.s - b.s));
  const out: Batch[] = [];
  for (let i = 0; i < all.length; i += size) {
    const part = all.slice(i, i + size);
    const next = all[i + size];
    out.push({ sources: part.map((x) => x.s), items: part.map((x) => x.item), watermark: next ? next.item.tsEvent : part[part.length - 1]!.item.tsEvent });
  }
  return out;
}

interface Outcome {
  readonly digest: string;
  readonly perNode: Record<string, string>;
  readonly outputs: Map<string, unknown[]>;
  readonly deadLetters: number;
}

function collect(into: Map<string, unknown[]>, r: ReturnType<PipelineRun["step"]>): void {
  for (const o of r.outputs) {
    const l = into.get(o.node) ?? into.set(o.node, []).get(o.node)!;
    for (const x of o.items) l.push(x);
  }
}

/** Runs every batch; with `cuts`, the run is checkpointed after each cut batch and continued by a fresh run. */
function run(p: CompiledPipeline, batches: readonly Batch[], cuts: ReadonlySet<number> = new Set()): Outcome {
  const outputs = new Map<string, unknown[]>();
  let r = new PipelineRun(p, "resume-test");
  r.assertCheckpointable();
  batches.forEach((b, i) => {
    collect(outputs, r.step(b.sources, b.items, b.watermark));
    if (cuts.has(i)) {
      const text = encodeState(r.checkpoint(), "checkpoint");
      r = new PipelineRun(p, "resume-test");
      r.restore(decodeState(text) as RunCheckpoint);
    }
  });
  collect(outputs, r.end());
  const s = r.summary();
  return { digest: s.digest, perNode: s.perNodeDigest, outputs, deadLetters: s.counters.deadLetters };
}

const files = readdirSync("pipelines").filter((f) => f.endsWith(".yaml"));
const data = await feed(30_000);

describe.each(files)("pipelines/%s resumed from checkpoints", (file) => {
  it("gives the digest and outputs of the uninterrupted run, wherever it was cut", async () => {
    const p = await loadPipeline(`pipelines/${file}`);
    const batches = batchesFor(p, data, 97);
    const whole = run(p, batches);
    const total = [...whole.outputs.values()].reduce((n, l) => n + l.length, 0);
    expect(total, "the feed must make the pipeline emit").toBeGreaterThan(20);
    // Cut after every 7th batch (so each resumed run continues another's state), and after the first and last.
    const cuts = new Set([0, batches.length - 1, ...batches.map((_, i) => i).filter((i) => i % 7 === 3)]);
    const resumed = run(p, batches, cuts);
    expect(resumed.perNode).toEqual(whole.perNode);
    expect(resumed.digest).toBe(whole.digest);
    expect(resumed.outputs).toEqual(whole.outputs);
    expect(resumed.deadLetters).toBe(whole.deadLetters);
  });
});

describe("checkpoint guards", () => {
  it("refuses a checkpoint of a pipeline declared differently", async () => {
    const a = await loadPipeline("pipelines/momentum-bars.yaml");
    const b = await loadPipeline("pipelines/momentum-trading.yaml");
    const cp = new PipelineRun(a, "x").checkpoint();
    expect(() => new PipelineRun(b, "x").restore(cp)).toThrow(/declared differently now/);
  });
});
