import { describe, expect, test } from "vitest";
import { firstValueFrom, from, Subject, toArray } from "rxjs";
import { map } from "rxjs/operators";
import type { Chunk } from "../../core/chunk.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import type { ServingModel } from "../../models/servingModel.ts";
import { FeatureMismatchError } from "../../models/featureOrder.ts";
import { predict } from "../../operators/predict.ts";
import { probabilityRule } from "../../operators/probabilityRule.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import type { Signal } from "../../schemas/signal.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { PipelineInstance } from "../../pipeline/graph.ts";
import { bindModelSlots, declaredFeatures, predictNodes } from "../../pipeline/catalog/models.ts";
import { StateRegistry } from "../../core/state.ts";
import { chunksOf, type Build } from "../helpers/resume.ts";
import { expectResumesAfterAnyChunk } from "../operators/resumeCheck.ts";

/** A stand-in model: p = sigmoid(k·(a - b)); counts its score calls to show one call per chunk. */
function fakeModel(version: number, k: number, calls: number[] = []): ServingModel {
  return {
    id: `m-v${version}`,
    name: "m",
    version,
    kind: "logreg",
    featureNames: ["a", "b"],
    sha256: "0".repeat(64),
    score(X, n) {
      calls.push(n);
      return Float64Array.from({ length: n }, (_, i) => 1 / (1 + Math.exp(-k * (X[2 * i]! - X[2 * i + 1]!))));
    },
  };
}

function rows(n: number): FeatureRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `S:1m:${i}`,
    symbol: i % 2 ? "AAA" : "BBB",
    tsEvent: BigInt(i + 1),
    timeframe: "1m",
    // every 5th row is still warming up (no "b")
    values: (i % 5 === 0 ? { a: i, close: 100 + i } : { a: Math.sin(i), b: Math.cos(i), close: 100 + i, sentiment: (i % 7) / 7 - 0.5 }) as Record<
      string,
      number
    >,
  }));
}

function chunked<T>(items: readonly T[], size: number): Chunk<T>[] {
  const out: Chunk<T>[] = [];
  for (let i = 0; i < items.length; i += size) out.push({ items: items.slice(i, i + size), watermark: BigInt(Math.min(i + size, items.length) + 1) });
  return out;
}

async function run<O>(chunks: Chunk<FeatureRow>[], op: (s: ReturnType<typeof from<Chunk<FeatureRow>[]>>) => import("rxjs").Observable<Chunk<O>>): Promise<O[]> {
  const out = await firstValueFrom(
    op(from(chunks)).pipe(
      map((c) => c.items),
      toArray(),
    ),
  );
  return out.flat();
}

describe("predict", () => {
  test("scores each chunk's complete rows in one call; warm-up rows pass through; output independent of chunking", async () => {
    const input = rows(40);
    const results: FeatureRow[][] = [];
    for (const size of [1, 3, 40]) {
      const calls: number[] = [];
      const slot = new ModelSlot(["a", "b"]);
      slot.install(fakeModel(2, 3, calls));
      results.push(await run(chunked(input, size), (s) => s.pipe(predict({ slot }))));
      expect(calls.length).toBe({ 1: 32, 3: 14, 40: 1 }[size]); // one call per chunk that has a complete row
      expect(calls.reduce((a, b) => a + b, 0)).toBe(32);
      expect(slot.counters).toEqual({ scored: 32, warmUp: 8, noModel: 0, nonFinite: 0 });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    const out = results[0]!;
    expect(out).toHaveLength(40);
    expect(out[0]).toBe(input[0]); // warm-up: unchanged
    expect(out[1]!.values).toMatchObject({ p_up: expect.any(Number), "model.version": 2, a: input[1]!.values.a });
    expect(out[1]!.model).toBe("m-v2"); // the model's full id on every scored row, not only its version number
    expect(out[0]!.model).toBeUndefined();
    expect(input[1]!.values.p_up).toBeUndefined(); // inputs are never mutated
  });

  test("a model installed between two chunks scores every later row; each row is scored by exactly one version", async () => {
    const slot = new ModelSlot(["a", "b"]);
    slot.install(fakeModel(1, 1));
    const input = rows(30).filter((r) => r.values.b !== undefined);
    const chunks = chunked(input, 4);
    const seen: FeatureRow[] = [];
    await new Promise<void>((resolve, reject) => {
      from(chunks)
        .pipe(predict({ slot }))
        .subscribe({
          next: (c) => {
            seen.push(...c.items);
            if (seen.length === 8) slot.install(fakeModel(2, 5)); // what the deployment watcher does between chunks
          },
          complete: resolve,
          error: reject,
        });
    });
    expect(seen.map((r) => r.id)).toEqual(input.map((r) => r.id));
    const versions = seen.map((r) => r.values["model.version"]);
    expect(versions).toEqual([...Array(8).fill(1), ...Array(input.length - 8).fill(2)]);
    expect(seen.map((r) => r.model)).toEqual([...Array(8).fill("m-v1"), ...Array(input.length - 8).fill("m-v2")]);
  });

  test("no model yet: rows pass through and are counted; a model with other features is refused by the slot", async () => {
    const slot = new ModelSlot(["b", "a"]);
    const out = await run(chunked(rows(5), 2), (s) => s.pipe(predict({ slot })));
    expect(out.every((r) => r.values.p_up === undefined)).toBe(true);
    expect(slot.counters.noModel).toBe(5);
    expect(() => slot.install(fakeModel(1, 1))).toThrow(FeatureMismatchError);
    expect(slot.current).toBeUndefined();
  });

  test("a non-finite output passes the row through unscored and reports it", async () => {
    const slot = new ModelSlot();
    slot.install({ ...fakeModel(1, 1), score: (_X, n) => new Float64Array(n).fill(Number.NaN) });
    const reasons: string[] = [];
    const out = await run(chunked(rows(3), 3), (s) => s.pipe(predict({ slot, onNonFinite: (_r, why) => reasons.push(why) })));
    expect(out.every((r) => r.values.p_up === undefined)).toBe(true);
    expect(reasons).toEqual(["model m-v1 gave NaN for this row; passed through unscored", "model m-v1 gave NaN for this row; passed through unscored"]);
  });
});

describe("predict checkpoints", () => {
  test("resumes from a checkpoint after any chunk", () => {
    // Replay of a run with mid-run deployments: each version takes effect at its recorded row, some inside a chunk.
    // The state is the row position; the models are configuration, scheduled again into each run's fresh slot.
    const input = rows(60);
    // A fresh slot per subscription, as a restarted process binds one.
    const build =
      (): Build<FeatureRow> =>
      ([rows$]) => {
        const slot = new ModelSlot(["a", "b"]);
        slot.scheduleAt(7, fakeModel(1, 1));
        slot.scheduleAt(23, fakeModel(2, 4));
        slot.scheduleAt(41, fakeModel(3, 9));
        return rows$!.pipe(predict({ slot }));
      };
    const { outputs } = expectResumesAfterAnyChunk(build, chunksOf(input, 5), { minOutputs: 60 });
    const versions = outputs.filter((r) => r.values.p_up !== undefined).map((r) => r.values["model.version"]);
    expect(new Set(versions)).toEqual(new Set([1, 2, 3]));
    expect(outputs.slice(0, 7).every((r) => r.values.p_up === undefined)).toBe(true); // no model before row 7
  });

  test("moves a fresh slot to the restored position; the installs before it apply", () => {
    const subscribe = (slot: ModelSlot) => {
      const registry = new StateRegistry();
      const input = new Subject<Chunk<FeatureRow>>();
      registry.within("node", () => input.pipe(predict({ slot })).subscribe());
      return { registry, input };
    };
    const first = subscribe(new ModelSlot(["a", "b"]));
    first.input.next({ items: rows(12), watermark: 13n });
    const slot = new ModelSlot(["a", "b"]);
    slot.scheduleAt(3, fakeModel(1, 1));
    slot.scheduleAt(9, fakeModel(2, 1));
    subscribe(slot).registry.load(first.registry.save());
    expect(slot.rowsSeen).toBe(12);
    expect(slot.current?.version).toBe(2);
    expect(slot.installs.map((i) => i.row)).toEqual([3, 9]);
  });
});

describe("ModelSlot install records", () => {
  test("an install is recorded at the first row it scored; after a restore, at the restored row, never at row 0", () => {
    const a = fakeModel(1, 1);
    const b = fakeModel(2, 1);
    const live = new ModelSlot(["a", "b"]);
    live.install(a);
    expect(live.drainServed()).toEqual([]); // installed, nothing scored yet
    live.take(4);
    live.install(b); // replaced before it scored a row: served once b scores
    live.take(6);
    expect(live.drainServed().map((i) => [i.row, i.model.version])).toEqual([
      [0, 1],
      [4, 2],
    ]);
    // The process restarts: the deployment installs the current model before the run restores row 10.
    const restarted = new ModelSlot(["a", "b"]);
    restarted.install(b);
    restarted.advanceTo(10);
    expect(restarted.drainServed()).toEqual([]);
    restarted.take(3);
    expect(restarted.drainServed().map((i) => [i.row, i.model.version])).toEqual([[10, 2]]);
    expect(restarted.drainServed()).toEqual([]);
  });
});

describe("probabilityRule", () => {
  test("thresholds, sentiment gate, and the model version on every signal", async () => {
    const mk = (i: number, p: number | undefined, sentiment = 0): FeatureRow => ({
      id: `X:${i}`,
      symbol: "X",
      tsEvent: BigInt(i),
      values: p === undefined ? { close: 1 } : { p_up: p, "model.version": 3, sentiment, close: 1 },
    });
    const input = [mk(1, undefined), mk(2, 0.7), mk(3, 0.72), mk(4, 0.5), mk(5, 0.2, 0.9), mk(6, 0.2, 0), mk(7, 0.8, -0.9)];
    const signals = await run<Signal>(chunked(input, 2), (s) =>
      s.pipe(
        probabilityRule({
          pipeline: "p",
          node: "sig",
          probability: "p_up",
          versionField: "model.version",
          model: "mom",
          buyAbove: 0.6,
          sellBelow: 0.4,
          sentiment: "sentiment",
          sentimentGate: 0.5,
          emit: "change",
        }),
      ),
    );
    expect(signals.map((s) => [s.tsEvent, s.action, s.modelVersion])).toEqual([
      [2n, "buy", "mom-v3"],
      [4n, "flat", "mom-v3"],
      [6n, "sell", "mom-v3"], // row 5 vetoed by positive sentiment: still flat, no change
      [7n, "flat", "mom-v3"], // buy vetoed by negative sentiment
    ]);
    expect(signals[0]!.strength).toBeCloseTo(0.4, 12);
    expect(signals[0]!.id).toBe("p:sig:X:2");
  });

  test("a row scored by predict names its model in full: the signal records that id, whatever the version number says", async () => {
    const row: FeatureRow = { id: "X:1", symbol: "X", tsEvent: 1n, values: { p_up: 0.9, "model.version": 1, close: 1 }, model: "mom-p-3f9a2c" };
    const o = { pipeline: "p", node: "sig", probability: "p_up", versionField: "model.version", model: "mom", buyAbove: 0.6, sellBelow: 0.4, sentiment: "s" };
    const [sig] = await run<Signal>(chunked([row], 1), (s) => s.pipe(probabilityRule({ ...o, emit: "every", modelIdOf: () => "other-v1" })));
    expect(sig!.modelVersion).toBe("mom-p-3f9a2c");
  });
});

describe("catalog entries", () => {
  const text = (rule: string) => `
name: p
sources: { bars: { type: bar } }
nodes:
  ind: { op: indicators, in: bars, params: { set: [{ id: rsi, name: rsi, period: 14 }] } }
  scored: { op: predict, in: ind, params: { features: [ret, rsi] } }
  signals: { op: probabilityRule, in: scored, params: ${rule} }
sinks: [{ type: console, in: signals }]
`;
  test("a predict node without a bound slot fails at start, saying how to bind it", () => {
    const p = parsePipeline(text("{ buyAbove: 0.6 }"), "p.yaml");
    expect(() => new PipelineInstance(p, () => undefined)).toThrow(/predict node "scored" has no model slot; start the run through bindModelSlots/);
    expect(predictNodes(p).map((n) => [n.name, declaredFeatures(n)])).toEqual([["scored", ["ret", "rsi"]]]);
    const bound = bindModelSlots(p, new Map([["scored", new ModelSlot(["ret", "rsi"])]]));
    expect(() => new PipelineInstance(bound, () => undefined).dispose()).not.toThrow();
  });

  test("contradictory thresholds are rejected at load with the path", () => {
    expect(() => parsePipeline(text("{ buyAbove: 0.4, sellBelow: 0.6 }"), "p.yaml")).toThrow(
      /p\.yaml:7:\d+: at nodes\.signals\.params\.sellBelow: sellBelow must be below buyAbove/,
    );
  });
});
