// computeIndicators: bars → feature rows holding the bar's fields plus indicator values, per symbol.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";

/** One indicator instance of one symbol (see operators/indicators/registry.ts). */
export interface BarIndicatorInstance {
  update(bar: { open: number; high: number; low: number; close: number; volume: number }): readonly number[] | undefined;
}

export interface IndicatorSpec {
  /** Feature name; a multi-output indicator writes `<id>.<output>`. */
  readonly id: string;
  readonly outputs: readonly string[];
  readonly create: () => BarIndicatorInstance;
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

/**
 * For each bar, updates that symbol's indicators and emits a feature row with open, high, low, close,
 * volume, vwap, ret (close-to-close return) and every indicator value past its warm-up.
 *
 * @example
 * bars$.pipe(computeIndicators({ indicators: [{ id: "rsi", outputs: ["rsi"], create: () => new RsiIndicator(14) }] }))
 */
export function computeIndicators(options: ComputeIndicatorsOptions): OperatorFunction<Chunk<Bar>, Chunk<FeatureRow>> {
  const names = options.indicators.map((s) => (s.outputs.length === 1 ? [s.id] : s.outputs.map((o) => `${s.id}.${o}`)));
  return chunkOperator<Bar, FeatureRow>(() => {
    const state = new Map<string, { ind: BarIndicatorInstance[]; lastClose: number; lastTs: bigint }>();
    return {
      onItems(bars, out) {
        for (const bar of bars) {
          let s = state.get(bar.symbol);
          // Idleness is judged on the symbol's own bars (event time), so the outputs do not depend on where
          // watermarks happened to fall between batches.
          if (s !== undefined && options.evictIdleNs !== undefined && bar.tsEvent - s.lastTs > options.evictIdleNs) s = undefined;
          if (s === undefined) {
            s = { ind: options.indicators.map((i) => i.create()), lastClose: NaN, lastTs: bar.tsEvent };
            state.set(bar.symbol, s);
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
        for (const [sym, s] of state) if (watermark - s.lastTs > options.evictIdleNs) state.delete(sym);
      },
    };
  });
}
