// signalRule and the rules built on it (momentumRule, probabilityRule): "emit on change" per symbol, signal ids from
// the input, a rule's own declared state, and resuming all of it from a checkpoint.
import { describe, expect, it } from "vitest";
import { Subject } from "rxjs";
import type { Chunk } from "../../core/chunk.ts";
import { StateRegistry } from "../../core/state.ts";
import { signalRule, type Decision, type SignalAction } from "../../operators/signalRule.ts";
import { momentumRule } from "../../operators/momentumRule.ts";
import { probabilityRule } from "../../operators/probabilityRule.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import type { Signal } from "../../schemas/signal.ts";
import { flat, runChunks } from "./windows/helpers.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "./resumeCheck.ts";
import { mulberry32 } from "../../models/prng.ts";

const SYMBOLS = ["AAPL", "MSFT", "ZZZ"];
const row = (symbol: string, ts: number, values: Record<string, number>): FeatureRow => ({
  id: `${symbol}:${ts}`,
  symbol,
  tsEvent: BigInt(ts),
  timeframe: "1m",
  values,
});

/** Rows of three symbols whose features random-walk (so actions change now and then); the first rows lack `x` (warm-up). */
function walkRows(count: number, seed: number): FeatureRow[] {
  const rand = mulberry32(seed);
  const level = new Map(SYMBOLS.map((s) => [s, { x: 0, fast: 100, slow: 100, rsi: 50, sentiment: 0 }]));
  return Array.from({ length: count }, (_, i) => {
    const symbol = SYMBOLS[Math.floor(rand() * SYMBOLS.length)]!;
    const v = level.get(symbol)!;
    v.x += rand() - 0.5;
    v.fast += rand() - 0.5;
    v.slow += (v.fast - v.slow) / 5;
    v.rsi = Math.min(100, Math.max(0, v.rsi + 20 * (rand() - 0.5)));
    v.sentiment = rand() * 2 - 1;
    const values: Record<string, number> = { fast: v.fast, slow: v.slow, rsi: v.rsi, sentiment: v.sentiment, p: 0.5 + v.x / 4, version: 3, close: 10 + i };
    if (i >= 6) values.x = v.x;
    return row(symbol, 1000 + 10 * i, values);
  });
}
const feedsOf = (rows: readonly FeatureRow[], seed: number) =>
  disorderedFeeds(rows, { size: 8, seed, lateEvery: 5, late: (r) => ({ ...r, id: `${r.id}-again` }) });

const threshold = (x: number | undefined): Decision | undefined =>
  x === undefined ? undefined : { action: x > 0.2 ? "buy" : x < -0.2 ? "sell" : "flat", strength: Math.abs(x), reason: `x ${x}`, inputs: { x } };

/** A rule with state: holds its action until x crosses back through 0 (hysteresis), like examples/operators/meanReversionRule.ts. */
const hysteresis = (emit: "change" | "every") =>
  signalRule(
    { pipeline: "p", node: "sig", emit },
    (r, s) => {
      const x = r.values.x;
      if (x === undefined) return undefined;
      const before = s.holding.get(r.symbol) ?? "flat";
      const action: SignalAction = x > 0.3 ? "buy" : x < -0.3 ? "sell" : (before === "buy" && x < 0) || (before === "sell" && x > 0) ? "flat" : before;
      s.holding.set(r.symbol, action);
      return { action, strength: 1, reason: `x ${x} held ${before}`, inputs: { x } };
    },
    { name: "hysteresis", version: 1, init: () => ({ holding: new Map<string, SignalAction>() }) },
  );

/** State that is a class instance: it declares save/load to and from plain data. */
class RowCounter {
  constructor(private readonly counts = new Map<string, number>()) {}
  bump(symbol: string): number {
    const n = (this.counts.get(symbol) ?? 0) + 1;
    this.counts.set(symbol, n);
    return n;
  }
  toState(): [string, number][] {
    return [...this.counts];
  }
  static fromState(data: [string, number][]): RowCounter {
    return new RowCounter(new Map(data));
  }
}

describe("signalRule", () => {
  it("emit change: only when a symbol's action changes, never a first flat; ids from pipeline, node, symbol and time", () => {
    const rows = [row("A", 1, { x: 0 }), row("A", 2, { x: 1 }), row("B", 2, { x: 1 }), row("A", 3, { x: 2 }), row("A", 4, {}), row("A", 5, { x: -1 })];
    const out = flat(
      runChunks(
        signalRule({ pipeline: "p", node: "sig", emit: "change" }, (r) => threshold(r.values.x)),
        [{ items: rows, watermark: 6n }],
      ).out,
    );
    expect(out.map((s) => `${s.id} ${s.action}`)).toEqual(["p:sig:A:2 buy", "p:sig:B:2 buy", "p:sig:A:5 sell"]);
    const every = flat(
      runChunks(
        signalRule({ pipeline: "p", node: "sig", emit: "every" }, (r) => threshold(r.values.x)),
        [{ items: rows, watermark: 6n }],
      ).out,
    );
    expect(every.map((s) => s.action)).toEqual(["flat", "buy", "buy", "buy", "sell"]);
    expect(every[0]!.strength).toBe(0);
  });

  it("gives a rule its declared state, fresh for every subscription", () => {
    const op = hysteresis("every");
    const rows = [row("A", 1, { x: 0.5 }), row("A", 2, { x: 0.1 }), row("A", 3, { x: -0.1 })];
    const run = () => flat(runChunks(op, [{ items: rows, watermark: 4n }]).out).map((s) => s.action);
    expect(run()).toEqual(["buy", "buy", "flat"]);
    expect(run()).toEqual(["buy", "buy", "flat"]);
  });

  it("resumes from a checkpoint after any chunk: the last action per symbol (emit change)", () => {
    const feeds = feedsOf(walkRows(300, 1), 2);
    expectResumesAfterAnyChunk<Signal>(
      () =>
        ([rows]) =>
          rows!.pipe(signalRule({ pipeline: "p", node: "sig", emit: "change" }, (r) => threshold(r.values.x))),
      feeds,
      {
        minOutputs: 40,
      },
    );
  });

  it("resumes from a checkpoint after any chunk: the rule's own state, with or without emit change", () => {
    const feeds = feedsOf(walkRows(300, 3), 4);
    for (const emit of ["change", "every"] as const)
      expectResumesAfterAnyChunk<Signal>(
        () =>
          ([rows]) =>
            rows!.pipe(hysteresis(emit)),
        feeds,
        { minOutputs: 20 },
      );
  });

  it("resumes a rule state that is a class instance through its save/load", () => {
    const feeds = feedsOf(walkRows(200, 5), 6);
    const counting = signalRule(
      { pipeline: "p", node: "sig", emit: "change" },
      (r, s) => {
        const n = s.counter.bump(r.symbol);
        return { action: n % 9 < 4 ? "buy" : "sell", strength: 1, reason: `row ${n}`, inputs: {} };
      },
      {
        name: "counting",
        version: 1,
        init: () => ({ counter: new RowCounter() }),
        save: (s) => s.counter.toState(),
        load: (d) => ({ counter: RowCounter.fromState(d as [string, number][]) }),
      },
    );
    expectResumesAfterAnyChunk<Signal>(
      () =>
        ([rows]) =>
          rows!.pipe(counting),
      feeds,
      { minOutputs: 40 },
    );
  });

  it("names the state after the rule's, and passes on a rule state that cannot be checkpointed", () => {
    const registry = new StateRegistry();
    const rows$ = new Subject<Chunk<FeatureRow>>();
    registry.within("sig", () => {
      rows$.pipe(signalRule({ pipeline: "p", node: "sig", emit: "every" }, (r) => threshold(r.values.x))).subscribe();
      rows$.pipe(hysteresis("every")).subscribe();
      rows$
        .pipe(
          signalRule({ pipeline: "p", node: "sig", emit: "every" }, () => undefined, {
            name: "opaque",
            version: 2,
            init: () => ({}),
            unsupported: "hides its state",
          }),
        )
        .subscribe();
    });
    expect(registry.keys).toEqual(["sig/0:signalRule", "sig/1:hysteresis", "sig/2:opaque"]);
    expect(() => registry.assertCheckpointable()).toThrow(/sig\/2:opaque: hides its state/);
  });
});

describe("momentumRule", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const feeds = feedsOf(walkRows(300, 7), 8);
    const rule = momentumRule({
      pipeline: "p",
      node: "signals",
      fast: "fast",
      slow: "slow",
      rsi: "rsi",
      sentiment: "sentiment",
      overbought: 70,
      oversold: 30,
      sentimentGate: 0.5,
      emit: "change",
    });
    expectResumesAfterAnyChunk<Signal>(
      () =>
        ([rows]) =>
          rows!.pipe(rule),
      feeds,
      { minOutputs: 40 },
    );
  });
});

describe("probabilityRule", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const feeds = feedsOf(walkRows(300, 9), 10);
    const rule = probabilityRule({
      pipeline: "p",
      node: "signals",
      probability: "x",
      versionField: "version",
      model: "m",
      buyAbove: 0.1,
      sellBelow: -0.1,
      sentiment: "sentiment",
      sentimentGate: 0.8,
      emit: "change",
    });
    const { outputs } = expectResumesAfterAnyChunk<Signal>(
      () =>
        ([rows]) =>
          rows!.pipe(rule),
      feeds,
      { minOutputs: 40 },
    );
    expect(outputs[0]!.modelVersion).toBe("m-v3");
  });
});
