// The price chart of each symbol as the dashboard draws it: OHLCV candles, indicator overlays on the price scale,
// oscillators for a lower pane, and signal and fill markers. Bounded per symbol and in the number of symbols.
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { Signal } from "../schemas/signal.ts";
import type { Fill } from "../schemas/fill.ts";
import { timeframeNs } from "../schemas/timeframe.ts";
import { Ring } from "./ring.ts";

/** Chart times are UTC seconds (lightweight-charts' UTCTimestamp): a candle's is its bar's open. */
export interface Candle {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface LinePoint {
  readonly time: number;
  readonly value: number;
}

/** Where a feature value is drawn: over the candles (same price scale) or in the pane below (oscillators). */
export type Pane = "price" | "lower";

export interface ChartMarker {
  readonly time: number;
  readonly kind: "signal" | "fill";
  /** buy, sell or flat. */
  readonly side: string;
  readonly text: string;
  /** Fill price, signal close (when it had one). */
  readonly price?: number;
}

export interface SymbolChart {
  readonly candles: Candle[];
  readonly overlays: Record<string, { readonly pane: Pane; readonly points: LinePoint[] }>;
  readonly markers: ChartMarker[];
}

export interface ChartSeriesOptions {
  /** Candles (and points per overlay) kept per symbol. Default 600. */
  readonly candlesPerSymbol?: number;
  /** Markers kept per symbol. Default 300. */
  readonly markersPerSymbol?: number;
  /** Symbols charted; later symbols are not (their signals and fills are still listed). Default 50. */
  readonly maxSymbols?: number;
  /** Feature names drawn per symbol; later names are not. Default 12. */
  readonly maxOverlays?: number;
}

/** The bar fields a feature row repeats; they make candles, not lines. */
const BAR_FIELDS = new Set(["open", "high", "low", "close", "volume", "ret"]);
/** Names of moving averages and bands: drawn on the price scale whatever their value. */
const PRICE_NAMES = /^(sma|ema|wma|dema|tema|kama|hma|vwma|vwap|bb|keltner|donchian|psar|ichimoku|supertrend)/i;
/** Names of oscillators: drawn in the lower pane whatever their value. */
const OSCILLATOR_NAMES = /^(rsi|stoch|mfi|cci|adx|willr|williams|roc|mom|macd|atr|obv|zscore|sentiment|prob|score)/i;
/** Other values within this ratio of the close are taken for prices (a custom average), the rest for oscillators. */
const PRICE_RATIO = 0.5;

/** Which pane a feature value belongs to, or undefined for the bar's own fields. */
export function paneOf(name: string, value: number, close: number | undefined): Pane | undefined {
  if (BAR_FIELDS.has(name)) return undefined;
  if (PRICE_NAMES.test(name)) return "price";
  if (OSCILLATOR_NAMES.test(name)) return "lower";
  return close !== undefined && close > 0 && Math.abs(value / close - 1) < PRICE_RATIO ? "price" : "lower";
}

const seconds = (ns: bigint): number => Number(ns / 1_000_000_000n);

class OneSymbol {
  readonly candles: Ring<Candle>;
  readonly overlays = new Map<string, { pane: Pane; points: Ring<LinePoint> }>();
  readonly markers: Ring<ChartMarker>;
  /** Length of this symbol's bars (from the last bar or feature row with a timeframe): maps bar-end times to candles. */
  barNs = 0n;
  constructor(private readonly o: Required<ChartSeriesOptions>) {
    this.candles = new Ring(o.candlesPerSymbol);
    this.markers = new Ring(o.markersPerSymbol);
  }

  /** Adds or updates the candle at `c.time`; a candle older than the newest is dropped (false). */
  candle(c: Candle): boolean {
    const last = this.candles.last();
    if (last && c.time < last.time) return false;
    if (last && c.time === last.time) this.candles.replaceLast(c);
    else this.candles.push(c);
    return true;
  }

  line(name: string, pane: Pane, p: LinePoint): boolean {
    let o = this.overlays.get(name);
    if (!o) {
      if (this.overlays.size >= this.o.maxOverlays) return false;
      this.overlays.set(name, (o = { pane, points: new Ring(this.o.candlesPerSymbol) }));
    }
    const last = o.points.last();
    if (last && p.time < last.time) return false;
    if (last && p.time === last.time) o.points.replaceLast(p);
    else o.points.push(p);
    return true;
  }

  /** The candle time of an event stamped at a bar's end (signals, fills, feature rows). */
  candleTime(tsEvent: bigint): number {
    return seconds(tsEvent - this.barNs);
  }

  toJson(): SymbolChart {
    return {
      candles: this.candles.latest(),
      overlays: Object.fromEntries([...this.overlays].map(([n, o]) => [n, { pane: o.pane, points: o.points.latest() }])),
      markers: this.markers.latest(),
    };
  }
}

/** What changed on the chart, for the live stream. */
export type ChartEvent =
  | { readonly type: "candle"; readonly symbol: string; readonly candle: Candle }
  | { readonly type: "overlay"; readonly symbol: string; readonly name: string; readonly pane: Pane; readonly point: LinePoint }
  | { readonly type: "marker"; readonly symbol: string; readonly marker: ChartMarker };

export class ChartSeries {
  private readonly symbols = new Map<string, OneSymbol>();
  private readonly o: Required<ChartSeriesOptions>;
  /** Candles and points refused because they were older than the newest of their series. */
  outOfOrder = 0;

  constructor(o: ChartSeriesOptions = {}) {
    this.o = {
      candlesPerSymbol: o.candlesPerSymbol ?? 600,
      markersPerSymbol: o.markersPerSymbol ?? 300,
      maxSymbols: o.maxSymbols ?? 50,
      maxOverlays: o.maxOverlays ?? 12,
    };
  }

  bars(bars: readonly Bar[], emit: (e: ChartEvent) => void): void {
    for (const b of bars) {
      const s = this.symbol(b.symbol);
      if (!s) continue;
      s.barNs = b.tsEvent - b.tsOpen;
      const candle = { time: seconds(b.tsOpen), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
      if (s.candle(candle)) emit({ type: "candle", symbol: b.symbol, candle });
      else this.outOfOrder++;
    }
  }

  /** Feature rows: a candle when the row carries the bar's fields, a line per other numeric value. */
  features(rows: readonly FeatureRow[], emit: (e: ChartEvent) => void): void {
    for (const f of rows) {
      const s = this.symbol(f.symbol);
      if (!s) continue;
      if (f.timeframe !== undefined) s.barNs = tfNs(f.timeframe) ?? s.barNs;
      const time = s.candleTime(f.tsEvent);
      const v = f.values;
      const close = v["close"];
      if (v["open"] !== undefined && v["high"] !== undefined && v["low"] !== undefined && close !== undefined) {
        const candle = { time, open: v["open"], high: v["high"], low: v["low"], close, volume: v["volume"] ?? 0 };
        if (s.candle(candle)) emit({ type: "candle", symbol: f.symbol, candle });
        else this.outOfOrder++;
      }
      for (const [name, value] of Object.entries(v)) {
        if (!Number.isFinite(value)) continue;
        const pane = s.overlays.get(name)?.pane ?? paneOf(name, value, close ?? s.candles.last()?.close);
        if (pane === undefined) continue;
        const point = { time, value };
        if (s.line(name, pane, point)) emit({ type: "overlay", symbol: f.symbol, name, pane, point });
      }
    }
  }

  signals(signals: readonly Signal[], emit: (e: ChartEvent) => void): void {
    for (const sig of signals) {
      const s = this.symbol(sig.symbol);
      if (!s) continue;
      const close = sig.inputs["close"];
      const marker: ChartMarker = {
        time: s.candleTime(sig.tsEvent),
        kind: "signal",
        side: sig.action,
        text: sig.action.toUpperCase(),
        ...(typeof close === "number" ? { price: close } : {}),
      };
      s.markers.push(marker);
      emit({ type: "marker", symbol: sig.symbol, marker });
    }
  }

  fills(fills: readonly Fill[], emit: (e: ChartEvent) => void): void {
    for (const f of fills) {
      const s = this.symbol(f.symbol);
      if (!s) continue;
      const marker: ChartMarker = {
        time: s.candleTime(f.tsEvent),
        kind: "fill",
        side: f.side,
        text: `${f.side === "buy" ? "B" : "S"} ${f.qty}@${Number(f.price.toPrecision(6))}`, // 2.78036, not 2.7803638629500003
        price: f.price,
      };
      s.markers.push(marker);
      emit({ type: "marker", symbol: f.symbol, marker });
    }
  }

  /** Bar length of the symbols seen so far (the shortest), 0 before any bar: daily runs show session dates. */
  barNs(): bigint {
    let min = 0n;
    for (const s of this.symbols.values()) if (s.barNs > 0n && (min === 0n || s.barNs < min)) min = s.barNs;
    return min;
  }

  toJson(): Record<string, SymbolChart> {
    return Object.fromEntries([...this.symbols].map(([sym, s]) => [sym, s.toJson()]));
  }

  candleCounts(): Record<string, number> {
    return Object.fromEntries([...this.symbols].map(([sym, s]) => [sym, s.candles.latest().length]));
  }

  private symbol(symbol: string): OneSymbol | undefined {
    let s = this.symbols.get(symbol);
    if (!s) {
      if (this.symbols.size >= this.o.maxSymbols) return undefined;
      this.symbols.set(symbol, (s = new OneSymbol(this.o)));
    }
    return s;
  }
}

function tfNs(tf: string): bigint | undefined {
  try {
    return timeframeNs(tf);
  } catch {
    return undefined;
  }
}
