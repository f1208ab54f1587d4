// computeIndicators: bars → feature rows holding the bar's fields plus indicator values, per symbol.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import { StateRestoreError, type StateSpec } from "../core/state.ts";
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";

/** One indicator instance of one symbol (see operators/indicators/registry.ts). */
export interface BarIndicatorInstance {
  update(bar: { open: number; high: number; low: number; close: number; volume: number }): readonly number[] | undefined;
  /** Plain data from which the spec's `restore` rebuilds this instance (needed to checkpoint). */
  toState?(): unknown;
}

export interface IndicatorSpec {
  /** Feature name; a multi-output indicator writes `<id>.<output>`. */
  readonly id: string;
  readonly outputs: readonly string[];
  readonly create: () => BarIndicatorInstance;
  /** Rebuilds an instance from what its `toState` returned. Without it the operator cannot be checkpointed. */
  readonly restore?: (saved: unknown) => BarIndicatorInstance;
  /** Why this indicator cannot be checkpointed; a checkpointed run then refuses to start. */
  readonly unsupported?: string;
}

export interface ComputeIndicatorsOptions {
  readonly indicators: readonly IndicatorSpec[];
  /** Symbols idle for longer than this (event time, ns) lose their indicator state. Default: never. */
  readonly evictIdleNs?: bigint;
  /**
   * Receives a bar an indicator refused (e.g. a non-finite field); the bar emits no row. Without it the
   * error ends the stream.
   */
  readonly onError?: (bar: Bar, reason: string) => void;
}

/** What computeIndicators remembers of one symbol. */
interface SymbolIndicators {
  /** One instance per spec, in `options.indicators` order. */
  readonly ind: BarIndicatorInstance[];
  /** Close of the symbol's last accepted bar (NaN before the first), for `ret`. */
  lastClose: number;
  /** Event time of the symbol's last accepted bar, for eviction. */
  lastTs: bigint;
}

/** The declared state of computeIndicators: each symbol's indicators; saved as their `toState()` data. */
export interface ComputeIndicatorsState {
  readonly symbols: Map<string, SymbolIndicators>;
}

interface SavedSymbol {
  readonly ind: unknown[];
  readonly lastClose: number;
  readonly lastTs: bigint;
}

/** The state spec: indicator instances are classes, so they are saved through toState and rebuilt by `restore`. */
function stateSpec(indicators: readonly IndicatorSpec[]): StateSpec<ComputeIndicatorsState> {
  const refusals = indicators.map((s) => s.unsupported ?? (s.restore ? undefined : `indicator ${s.id} has no restore, so its state cannot be saved`));
  const unsupported = refusals.filter((r) => r !== undefined).join("; ") || undefined;
  return {
    name: "computeIndicators",
    version: 1,
    init: () => ({ symbols: new Map() }),
    unsupported,
    save: (state) => {
      const symbols = new Map<string, SavedSymbol>();
      for (const [sym, s] of state.symbols) {
        const ind = s.ind.map((inst, i) => {
          if (!inst.toState) throw new Error(`computeIndicators: indicator ${indicators[i]!.id} of ${sym} has no toState`);
          return inst.toState();
        });
        symbols.set(sym, { ind, lastClose: s.lastClose, lastTs: s.lastTs });
      }
      return { symbols };
    },
    load: (data) => {
      const symbols = new Map<string, SymbolIndicators>();
      for (const [sym, s] of (data as { symbols: Map<string, SavedSymbol> }).symbols) {
        if (s.ind.length !== indicators.length) {
          throw new StateRestoreError(`computeIndicators: the checkpoint holds ${s.ind.length} indicators for ${sym}, this node computes ${indicators.length}`);
        }
        symbols.set(sym, { ind: s.ind.map((x, i) => indicators[i]!.restore!(x)), lastClose: s.lastClose, lastTs: s.lastTs });
      }
      return { symbols };
    },
  };
}

/**
 * For each bar, updates that symbol's indicators and emits a feature row with open, high, low, close,
 * volume, vwap, ret (close-to-close return) and every indicator value past its warm-up. The indicators of every
 * symbol live in the operator's declared state (`ComputeIndicatorsState`), so a checkpointed run resumes them;
 * a spec with `unsupported` (or without `restore`) makes a checkpointed run refuse to start.
 *
 * @example
 * bars$.pipe(computeIndicators({ indicators: [{ id: "rsi", outputs: ["rsi"], create: () => new RsiIndicator(14) }] }))
 * @param options the indicators, idle eviction and the refused-bar callback
 */
export function computeIndicators(options: ComputeIndicatorsOptions): OperatorFunction<Chunk<Bar>, Chunk<FeatureRow>> {
  const names = options.indicators.map((s) => (s.outputs.length === 1 ? [s.id] : s.outputs.map((o) => `${s.id}.${o}`)));
  return chunkOperator<Bar, FeatureRow, ComputeIndicatorsState>(({ symbols }) => {
    return {
      onItems(bars, out) {
        for (const bar of bars) {
          let s = symbols.get(bar.symbol);
          // Idleness is judged on the symbol's own bars (event time), so the outputs do not depend on where
          // watermarks happened to fall between batches.
          if (s !== undefined && options.evictIdleNs !== undefined && bar.tsEvent - s.lastTs > options.evictIdleNs) s = undefined;
          if (s === undefined) {
            s = { ind: options.indicators.map((i) => i.create()), lastClose: NaN, lastTs: bar.tsEvent };
            symbols.set(bar.symbol, s);
          }
          const values: Record<string, number> = {
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
            vwap: bar.vwap,
          };
          if (Number.isFinite(s.lastClose)) values.ret = bar.close / s.lastClose - 1;
          try {
            for (let i = 0; i < s.ind.length; i++) {
              const v = s.ind[i]!.update(bar);
              if (v === undefined) continue;
              const n = names[i]!;
              for (let k = 0; k < n.length; k++) if (Number.isFinite(v[k]!)) values[n[k]!] = v[k]!;
            }
          } catch (e) {
            if (!options.onError) throw e;
            options.onError(bar, `bar ${bar.symbol} ${bar.timeframe} at ${bar.tsEvent}: ${(e as Error).message}`);
            continue;
          }
          s.lastClose = bar.close;
          s.lastTs = bar.tsEvent;
          out.push({ id: `${bar.symbol}:${bar.timeframe}:${bar.tsEvent}`, symbol: bar.symbol, tsEvent: bar.tsEvent, timeframe: bar.timeframe, values });
        }
      },
      onWatermark(watermark) {
        // Frees memory only: any later bar of an evicted symbol is past the watermark, so the rule above would
        // have reset its state anyway.
        if (options.evictIdleNs === undefined) return;
        for (const [sym, s] of symbols) if (watermark - s.lastTs > options.evictIdleNs) symbols.delete(sym);
      },
    };
  }, stateSpec(options.indicators));
}
