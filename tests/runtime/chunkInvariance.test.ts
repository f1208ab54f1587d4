// Deterministic replay's core promise: the reference pipeline's outputs and digest do not depend on how its
// input was cut into batches (live delivers small batches, replay large ones).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { RunDriver } from "../../runtime/runDriver.ts";
import { CollectingOutput, MemoryInput } from "../../runtime/memoryInput.ts";
import type { InputBatch } from "../../runtime/ports.ts";
import { simulate } from "../../sources/simulator.ts";

const pipeline = await loadPipeline("pipelines/momentum-sentiment.yaml");

interface Input {
  readonly sources: Uint8Array;
  readonly items: { tsEvent: bigint }[];
}

/** `count` simulated messages with each item's source index (the rank of the pipeline source of its kind). */
function simulatedInput(p: CompiledPipeline, count: number): Input {
  const rank = (kind: "trade" | "news"): number => p.sources.find((s) => s.kind === kind)!.rank;
  const sources = new Uint8Array(count);
  const items: { tsEvent: bigint }[] = [];
  const gen = simulate({ symbols: ["AAPL", "MSFT", "ZZZ"], seed: 7, startNs: 1_704_205_800_000_000_000n, tradesPerSecond: 2, newsEverySeconds: 45 });
  for (const m of gen) {
    sources[items.length] = rank(m.kind);
    items.push(m.msg);
    if (items.length === count) break;
  }
  return { sources, items };
}

/** Runs the pipeline over `input` cut before each index in `cuts` (ascending, within 1..n-1). */
async function runCut(p: CompiledPipeline, input: Input, cuts: readonly number[]): Promise<{ summary: RunSummary; outputs: Map<string, unknown[]> }> {
  const sink = new CollectingOutput();
  const bounds = [0, ...cuts, input.items.length];
  const batches: InputBatch[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const [from, to] = [bounds[b]!, bounds[b + 1]!];
    if (from === to) continue;
    const watermark = to < input.items.length ? input.items[to]!.tsEvent : input.items[to - 1]!.tsEvent;
    batches.push({ sources: input.sources.subarray(from, to), items: input.items.slice(from, to), watermark });
  }
  const driver = new RunDriver({
    pipeline: p,
    runId: "test",
    mode: "check",
    input: MemoryInput.of(batches),
    outputs: p.outputs.map((node) => ({ port: sink, node })),
  });
  return { summary: await driver.execute(), outputs: sink.byNode };
}

const cutPoints = (n: number, maxCuts: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: maxCuts }).map((xs) => [...xs].sort((a, b) => a - b));

describe("chunking invariance of momentum-sentiment", () => {
  const input = simulatedInput(pipeline, 20_000);

  it("the simulated input exercises every node", async () => {
    const { summary } = await runCut(pipeline, input, []);
    expect(input.sources.filter((s) => s === 1).length).toBeGreaterThan(50); // news
    expect(summary.counters.outputs.joined).toBeGreaterThan(300);
    expect(summary.counters.outputs.signals).toBeGreaterThan(5);
    expect(summary.counters.deadLetters).toBe(0);
  });

  it("gives the same digest and per-node outputs however the input is batched", async () => {
    const whole = await runCut(pipeline, input, []);
    await fc.assert(
      fc.asyncProperty(cutPoints(input.items.length, 2_000), async (cuts) => {
        const cut = await runCut(pipeline, input, cuts);
        expect(cut.summary.perNodeDigest).toEqual(whole.summary.perNodeDigest);
        expect(cut.summary.digest).toBe(whole.summary.digest);
        expect(cut.summary.counters.outputs).toEqual(whole.summary.counters.outputs);
        expect(cut.outputs).toEqual(whole.outputs);
      }),
      { numRuns: 20 },
    );
  });

  it("stays invariant when many inputs share a timestamp (times truncated to whole seconds, ties across sources)", async () => {
    const S = 1_000_000_000n;
    const order = input.items.map((_, i) => i);
    const ts = input.items.map((x) => (x.tsEvent / S) * S);
    order.sort((a, b) => (ts[a]! < ts[b]! ? -1 : ts[a]! > ts[b]! ? 1 : input.sources[a]! - input.sources[b]! || a - b));
    const tied: Input = { sources: Uint8Array.from(order.map((i) => input.sources[i]!)), items: order.map((i) => ({ ...input.items[i]!, tsEvent: ts[i]! })) };
    const whole = await runCut(pipeline, tied, []);
    expect(whole.summary.counters.outputs.signals).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(cutPoints(tied.items.length, 2_000), async (cuts) => {
        const cut = await runCut(pipeline, tied, cuts);
        expect(cut.summary.digest).toBe(whole.summary.digest);
        expect(cut.outputs).toEqual(whole.outputs);
      }),
      { numRuns: 10 },
    );
  });

  it("gives the same outputs with one item per batch", async () => {
    const small = simulatedInput(pipeline, 4_000);
    const whole = await runCut(pipeline, small, []);
    const single = await runCut(
      pipeline,
      small,
      Array.from({ length: small.items.length - 1 }, (_, i) => i + 1),
    );
    expect(single.summary.digest).toBe(whole.summary.digest);
    expect(single.outputs).toEqual(whole.outputs);
  });
});
