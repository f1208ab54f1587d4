// Indicators we did not write, taken from the `technicalindicators` package and driven through its nextValue.

import * as ti from "technicalindicators";
import type { BarIndicator, BarIndicatorState } from "./barIndicator.ts";
import { checkBar } from "./barIndicator.ts";
import type { Bar } from "./types.ts";
import { TickflowError } from "../../core/errors.ts";

/** technicalindicators keeps its state in a generator, which cannot be saved: see `TiIndicator.toState`. */
export class IndicatorCheckpointError extends TickflowError {
  static override readonly code = "INDICATOR_CHECKPOINT_UNSUPPORTED";
  override name = "IndicatorCheckpointError";
}

interface TiStreaming {
  nextValue(input: never): unknown;
}

export interface TiDefinition {
  /** Builds a fresh technicalindicators instance with empty input arrays. */
  make(): TiStreaming;
  /** What nextValue takes. */
  tick(bar: Bar): unknown;
  /** Bar fields read (checked finite). */
  fields: readonly (keyof Bar)[];
  /** nextValue's result as numbers in `outputs` order, or undefined while it has none. */
  values(result: unknown): readonly number[] | undefined;
  /**
   * How many most recent bars determine the indicator completely (finite memory), so that replaying them into a
   * fresh instance restores it; undefined when the memory is unbounded (EMA-like, cumulative or path-dependent).
   */
  memory: number | undefined;
  warmup: number;
}

/**
 * A technicalindicators indicator as a BarIndicator. Checkpoints: a finite-memory indicator saves its last
 * `memory` bars and is restored by replaying them into a fresh instance (values continue identically up to
 * float rounding inside technicalindicators' own running sums); an unbounded-memory one (psar, trix, adl,
 * forceindex, keltner) cannot be checkpointed and `toState` throws IndicatorCheckpointError saying so.
 */
export class TiIndicator implements BarIndicator {
  readonly warmup: number;
  private instance: TiStreaming;
  private recent: Bar[] = [];

  constructor(
    readonly name: string,
    readonly outputs: readonly string[],
    private readonly params: Record<string, unknown>,
    private readonly def: TiDefinition,
  ) {
    this.warmup = def.warmup;
    this.instance = def.make();
  }

  update(bar: Bar): readonly number[] | undefined {
    checkBar(this.name, bar, this.def.fields);
    const memory = this.def.memory;
    if (memory !== undefined) {
      this.recent.push({ open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
      if (this.recent.length > memory) this.recent.shift();
    }
    return this.def.values(this.instance.nextValue(this.def.tick(bar) as never));
  }

  toState(): BarIndicatorState {
    if (this.def.memory === undefined) {
      throw new IndicatorCheckpointError(
        `${this.name} (from technicalindicators) keeps unbounded state inside a generator and cannot be checkpointed; ` +
          `leave it out of checkpointed pipelines or restart it from history`,
      );
    }
    return { name: this.name, params: this.params, state: { bars: this.recent.map((b) => ({ ...b })) } };
  }

  static restore(name: string, outputs: readonly string[], params: Record<string, unknown>, def: TiDefinition, state: unknown): TiIndicator {
    const bars = (state as { bars?: unknown } | null)?.bars;
    if (!Array.isArray(bars)) throw new IndicatorCheckpointError(`${name}: saved state has no bars array`);
    const ind = new TiIndicator(name, outputs, params, def);
    for (const b of bars as Bar[]) ind.update(b);
    return ind;
  }
}

const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
const single = (r: unknown): readonly number[] | undefined => {
  const v = num(r);
  return v === undefined ? undefined : [v];
};
const fields =
  <K extends string>(keys: readonly K[]) =>
  (r: unknown): readonly number[] | undefined => {
    if (typeof r !== "object" || r === null) return undefined;
    const out: number[] = [];
    for (const k of keys) {
      const v = num((r as Record<string, unknown>)[k]);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  };
const hl = (b: Bar) => ({ high: b.high, low: b.low });
const hlc = (b: Bar) => ({ high: b.high, low: b.low, close: b.close });
const hlcv = (b: Bar) => ({ high: b.high, low: b.low, close: b.close, volume: b.volume });

export const tiDefinitions = {
  psar(p: { step: number; max: number }): TiDefinition {
    return {
      make: () => new ti.PSAR({ high: [], low: [], step: p.step, max: p.max }),
      tick: hl,
      fields: ["high", "low"],
      values: single,
      memory: undefined,
      warmup: 0,
    };
  },
  williamsr(p: { period: number }): TiDefinition {
    return {
      make: () => new ti.WilliamsR({ high: [], low: [], close: [], period: p.period }),
      tick: hlc,
      fields: ["high", "low", "close"],
      values: single,
      memory: p.period,
      warmup: p.period - 1,
    };
  },
  mfi(p: { period: number }): TiDefinition {
    return {
      make: () => new ti.MFI({ high: [], low: [], close: [], volume: [], period: p.period }),
      tick: hlcv,
      fields: ["high", "low", "close", "volume"],
      values: single,
      memory: p.period + 2,
      warmup: p.period + 1,
    };
  },
  ichimoku(p: { conversionPeriod: number; basePeriod: number; spanPeriod: number; displacement: number }): TiDefinition {
    const longest = Math.max(p.conversionPeriod, p.basePeriod, p.spanPeriod);
    return {
      make: () => new ti.IchimokuCloud({ high: [], low: [], ...p }),
      tick: hl,
      fields: ["high", "low"],
      values: fields(["conversion", "base", "spanA", "spanB"]),
      memory: longest,
      warmup: longest - 1,
    };
  },
  kst(p: {
    rocPer1: number;
    rocPer2: number;
    rocPer3: number;
    rocPer4: number;
    smaPer1: number;
    smaPer2: number;
    smaPer3: number;
    smaPer4: number;
    signalPeriod: number;
  }): TiDefinition {
    const kstWarmup = Math.max(p.rocPer1 + p.smaPer1, p.rocPer2 + p.smaPer2, p.rocPer3 + p.smaPer3, p.rocPer4 + p.smaPer4) - 1;
    return {
      make: () =>
        new ti.KST({
          values: [],
          ROCPer1: p.rocPer1,
          ROCPer2: p.rocPer2,
          ROCPer3: p.rocPer3,
          ROCPer4: p.rocPer4,
          SMAROCPer1: p.smaPer1,
          SMAROCPer2: p.smaPer2,
          SMAROCPer3: p.smaPer3,
          SMAROCPer4: p.smaPer4,
          signalPeriod: p.signalPeriod,
        }),
      tick: (b) => b.close,
      fields: ["close"],
      values: fields(["kst", "signal"]),
      memory: kstWarmup + p.signalPeriod + 1,
      warmup: kstWarmup + p.signalPeriod - 1,
    };
  },
  trix(p: { period: number }): TiDefinition {
    return {
      make: () => new ti.TRIX({ values: [], period: p.period }),
      tick: (b) => b.close,
      fields: ["close"],
      values: single,
      memory: undefined,
      warmup: 3 * (p.period - 1) + 1,
    };
  },
  ao(p: { fastPeriod: number; slowPeriod: number }): TiDefinition {
    return {
      make: () => new ti.AwesomeOscillator({ high: [], low: [], ...p }),
      tick: hl,
      fields: ["high", "low"],
      values: single,
      memory: p.slowPeriod,
      warmup: p.slowPeriod - 1,
    };
  },
  adl(): TiDefinition {
    return {
      make: () => new ti.ADL({ high: [], low: [], close: [], volume: [] }),
      tick: hlcv,
      fields: ["high", "low", "close", "volume"],
      values: single,
      memory: undefined,
      warmup: 0,
    };
  },
  forceindex(p: { period: number }): TiDefinition {
    return {
      make: () => new ti.ForceIndex({ close: [], volume: [], period: p.period }),
      tick: (b: Bar) => ({ close: b.close, volume: b.volume }),
      fields: ["close", "volume"],
      values: single,
      memory: undefined,
      warmup: p.period,
    };
  },
  keltner(p: { maPeriod: number; atrPeriod: number; multiplier: number; useSMA: boolean }): TiDefinition {
    return {
      make: () => new ti.KeltnerChannels({ high: [], low: [], close: [], ...p }),
      tick: hlc,
      fields: ["high", "low", "close"],
      values: fields(["upper", "middle", "lower"]),
      memory: undefined,
      warmup: Math.max(p.maPeriod - 1, p.atrPeriod),
    };
  },
} satisfies Record<string, (p: never) => TiDefinition>;
