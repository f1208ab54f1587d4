// computeIndicators keeps every symbol's indicators in its declared state: a run checkpointed after any chunk and
// resumed gives the rows of the uninterrupted run; indicators whose state cannot be restored exactly refuse a
// checkpointed run at start.
import { describe, expect, it } from "vitest";
import { Subject } from "rxjs";
import { computeIndicators, type IndicatorSpec } from "../../operators/computeIndicators.ts";
import { indicatorRegistry } from "../../operators/indicators/registry.ts";
import type { Chunk } from "../../core/chunk.ts";
import { StateRegistry, StateRestoreError, StateUnsupportedError } from "../../core/state.ts";
import { decodeState, encodeState } from "../../core/stateCodec.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import { indicatorSpec } from "../../pipeline/indicatorSpecs.ts";
import { chunksOf, type Build } from "../helpers/resume.ts";
import { expectResumesAfterAnyChunk } from "./resumeCheck.ts";
import { mulberry32 } from "../../models/prng.ts";

const MIN = 60_000_000_000n;

/** Seeded random-walk minute bars of `symbol` at the given minutes. */
function walk(symbol: string, minutes: readonly number[], seed: number, start: number): Bar[] {
  const rand = mulberry32(seed);
  let close = start;
  return minutes.map((m) => {
    const open = close;
    close = Math.max(1, close * (1 + (rand() - 0.5) * 0.02));
    const high = Math.max(open, close) * (1 + rand() * 0.005);
    const low = Math.min(open, close) * (1 - rand() * 0.005);
    const volume = 100 + Math.floor(rand() * 900);
    return {
      symbol,
      timeframe: "1m",
      tsOpen: BigInt(m) * MIN,
      tsEvent: BigInt(m + 1) * MIN,
      open,
      high,
      low,
      close,
      volume,
      vwap: (high + low + close) / 3,
      trades: 3,
    };
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const byTime = (a: Bar, b: Bar) => (a.tsEvent < b.tsEvent ? -1 : a.tsEvent > b.tsEvent ? 1 : a.symbol.localeCompare(b.symbol));

// AAPL trades every minute; MSFT pauses 20 minutes (past evictIdle), so its indicators restart; ZZZ has a bar
// with a non-finite high, which the range indicators refuse after the close-based ones took it.
const zzz = walk("ZZZ", range(0, 150), 3, 20);
zzz[70] = { ...zzz[70]!, high: Number.NaN };
const bars = [...walk("AAPL", range(0, 150), 1, 180), ...walk("MSFT", [...range(0, 60), ...range(80, 150)], 2, 400), ...zzz].sort(byTime);

/** Every registry indicator that resumes exactly (no `unsupported`), at its default params. */
const exact = Object.values(indicatorRegistry).filter((s) => s.unsupported === undefined);
const specs = exact.map((s) => indicatorSpec({ id: s.name, name: s.name }, []));

const build =
  (indicators: readonly IndicatorSpec[]) =>
  (refused: string[]): Build<FeatureRow> =>
  ([bars$]) =>
    bars$!.pipe(computeIndicators({ indicators, evictIdleNs: 10n * MIN, onError: (_bar, reason) => refused.push(reason) }));

/** Subscribes `indicators` under a fresh registry (as a pipeline run does) and returns the registry. */
function registered(indicators: readonly IndicatorSpec[]): { registry: StateRegistry; input: Subject<Chunk<Bar>> } {
  const registry = new StateRegistry();
  const input = new Subject<Chunk<Bar>>();
  registry.within("node", () => input.pipe(computeIndicators({ indicators })).subscribe());
  return { registry, input };
}

describe("computeIndicators checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    // Ours, plus technicalindicators' williamsr and ichimoku (rolling highs and lows, replayed exactly).
    expect(exact.map((s) => s.name)).toEqual(expect.arrayContaining(["sma", "ema", "rsi", "macd", "adx", "vwap", "williamsr", "ichimoku"]));
    const feeds = chunksOf(bars, 17);
    const { outputs, late } = expectResumesAfterAnyChunk(build(specs), feeds, { minOutputs: bars.length - 10, minLate: 1 });
    expect(late[0]).toMatch(/^bar ZZZ 1m at \d+: atr: bar high must be a finite number, got NaN/);
    // Past every warm-up, each symbol's rows carry every indicator: the restored state must hold them all.
    const last = outputs.filter((r) => r.tsEvent === 150n * MIN);
    expect(last.map((r) => r.symbol)).toEqual(["AAPL", "MSFT", "ZZZ"]);
    for (const r of last)
      for (const s of exact)
        expect(
          Object.keys(r.values).some((k) => k === s.name || k.startsWith(`${s.name}.`)),
          `${r.symbol} ${s.name}`,
        ).toBe(true);
  });

  it("refuses a checkpointed run with an indicator whose state cannot be restored exactly, naming it", () => {
    const refused = Object.values(indicatorRegistry)
      .filter((s) => s.unsupported !== undefined)
      .map((s) => s.name)
      .sort();
    expect(refused).toEqual(["adl", "ao", "forceindex", "keltner", "kst", "mfi", "psar", "trix"]);
    const { registry } = registered([
      indicatorSpec({ id: "sma", name: "sma" }, []),
      indicatorSpec({ id: "t", name: "trix" }, []),
      indicatorSpec({ id: "k", name: "kst" }, []),
    ]);
    expect(() => registry.assertCheckpointable()).toThrow(StateUnsupportedError);
    expect(() => registry.assertCheckpointable()).toThrow(
      /indicator t: trix \(from technicalindicators\) keeps unbounded state inside a generator and cannot be checkpointed; indicator k: kst \(from technicalindicators\) is restored by replaying/,
    );
  });

  it("refuses a checkpointed run with a hand-made indicator that gives no restore", () => {
    const { registry } = registered([{ id: "last", outputs: ["last"], create: () => ({ update: (b) => [b.close] }) }]);
    expect(() => registry.assertCheckpointable()).toThrow(/indicator last has no restore/);
  });

  it("refuses a checkpoint saved for other indicator params", () => {
    const first = registered([indicatorSpec({ id: "sma", name: "sma", period: 3 }, [])]);
    first.input.next({ items: bars.slice(0, 20), watermark: bars[20]!.tsEvent });
    const saved = decodeState(encodeState(first.registry.save())) as ReturnType<StateRegistry["save"]>;
    const second = registered([indicatorSpec({ id: "sma", name: "sma", period: 4 }, [])]);
    expect(() => second.registry.load(saved)).toThrow(StateRestoreError);
    expect(() => second.registry.load(saved)).toThrow(
      /indicator sma: the checkpoint holds sma \{"period":3,"source":"close"\}, this pipeline declares sma \{"period":4/,
    );
  });
});
