// What the dashboard and the JSON API show of a run: candles, overlays and markers per symbol (chartSeries.ts), the
// trading state (tradingState.ts), the latest signals, news with sentiment, dead letters and per-node counts for
// the graph; fed by the run's metric hooks (or a recorded run), pushed to subscribers (the SSE endpoint).
// Bounded everywhere: a run over many symbols or a long day keeps a fixed amount of memory.
import type { Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import { SignalMessage, type Signal } from "../schemas/signal.ts";
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { News, ScoredNews } from "../schemas/news.ts";
import type { Fill } from "../schemas/fill.ts";
import type { Order } from "../schemas/order.ts";
import type { OrderEvent } from "../schemas/orderEvent.ts";
import type { EquitySnapshot, PositionSnapshot } from "../schemas/position.ts";
import { nsToIso } from "../schemas/time.ts";
import { CappedMap, Ring } from "./ring.ts";
import { ChartSeries, type ChartEvent, type SymbolChart } from "./chartSeries.ts";
import { TradingState, type TradingEvent, type TradingJson } from "./tradingState.ts";
import type { PipelineGraph } from "./pipelineGraph.ts";

/** A signal as the API sends it: the wire form (tsEvent as a decimal string of ns). */
export type SignalJson = Record<string, unknown>;

export interface PricePoint {
  readonly symbol: string;
  /** Event time in ms since the epoch (what the chart's time axis uses, in seconds). */
  readonly timeMs: number;
  readonly close: number;
}

export interface DeadLetterJson {
  readonly stage: string;
  readonly subject: string;
  readonly ref: string;
  readonly reason: string;
}

/** A news item and the sentiment scored for each symbol it is about (none when the run scores no news). */
export interface NewsJson {
  readonly id: string;
  readonly source: string;
  readonly at: string;
  readonly headline: string;
  readonly symbols: string[];
  readonly scores: { readonly symbol: string; readonly score: number; readonly label: string }[];
}

export interface GraphJson extends PipelineGraph {
  /** Items out per node (the run counts the nodes a sink consumes) and items in per source; absent: not counted. */
  readonly counts: Record<string, number>;
  /** Items per second over the last ~10 s of wall time, per node in `counts`. */
  readonly rates: Record<string, number>;
  /** Dead letters per stage (a node's name, or decode, late, duplicate ...). */
  readonly deadLetters: Record<string, number>;
}

export type FeedEvent =
  | { readonly type: "signal"; readonly signal: SignalJson }
  | { readonly type: "price"; readonly point: PricePoint }
  | { readonly type: "deadLetter"; readonly letter: DeadLetterJson }
  | { readonly type: "news"; readonly news: NewsJson }
  | ChartEvent
  | TradingEvent;

export interface LiveFeedOptions {
  /** Signals kept for /api/signals. Default 500. */
  readonly signals?: number;
  /** Price points and candles kept per symbol. Default 600. */
  readonly pointsPerSymbol?: number;
  /** Symbols with a chart; later symbols are not charted (their signals and fills are still listed). Default 50. */
  readonly maxSymbols?: number;
  /** Dead letters kept. Default 100. */
  readonly deadLetters?: number;
  /** News items kept. Default 200. */
  readonly news?: number;
  /** Equity points kept per account. Default 2000. */
  readonly equityPoints?: number;
  /** Wall clock for the graph's rates (ms). Default Date.now. */
  readonly now?: () => number;
}

/** Counters the graph knows at most this many names of (nodes, sources, dead-letter stages). */
const MAX_COUNTED = 200;
const RATE_WINDOW_MS = 10_000;

export class LiveFeed {
  private readonly signals: Ring<SignalJson>;
  private readonly prices = new Map<string, Ring<PricePoint>>();
  private readonly letters: Ring<DeadLetterJson>;
  private readonly newsItems: CappedMap<string, NewsJson>;
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  readonly chart: ChartSeries;
  readonly trading: TradingState;
  private graphShape: PipelineGraph = { nodes: [], edges: [] };
  private readonly counts = new Map<string, number>();
  private readonly stageCounts = new Map<string, number>();
  private readonly samples: Ring<{ atMs: number; counts: Record<string, number> }> = new Ring(64);
  private readonly now: () => number;
  private readonly emitter = (e: FeedEvent): void => this.emit(e);

  constructor(private readonly o: LiveFeedOptions = {}) {
    this.signals = new Ring(o.signals ?? 500);
    this.letters = new Ring(o.deadLetters ?? 100);
    this.newsItems = new CappedMap(o.news ?? 200);
    this.chart = new ChartSeries({ candlesPerSymbol: o.pointsPerSymbol ?? 600, maxSymbols: o.maxSymbols ?? 50 });
    this.trading = new TradingState({ equityPoints: o.equityPoints ?? 2000 });
    this.now = o.now ?? Date.now;
  }

  /** The pipeline's sources, nodes and edges, for /api/graph. */
  setGraph(g: PipelineGraph): void {
    this.graphShape = g;
  }

  /** Run hook: the input items of one source (bars are charted, news listed). */
  inputItems(source: string, kind: Kind, items: readonly unknown[]): void {
    this.count(this.counts, source, items.length);
    this.items(kind, items);
  }

  /** Run hook: what a node emitted. */
  outputs(node: string, kind: Kind, items: readonly unknown[]): void {
    this.count(this.counts, node, items.length);
    this.items(kind, items);
  }

  deadLetter(l: DeadLetter): void {
    const letter = { stage: l.stage, subject: l.subject, ref: l.ref, reason: l.reason };
    this.letters.push(letter);
    this.count(this.stageCounts, l.stage, 1);
    this.emit({ type: "deadLetter", letter });
  }

  latestSignals(limit: number): SignalJson[] {
    return this.signals.latest(limit);
  }

  latestDeadLetters(limit: number): DeadLetterJson[] {
    return this.letters.latest(limit);
  }

  /** Recent close prices per symbol, oldest first. */
  priceSeries(): Record<string, PricePoint[]> {
    return Object.fromEntries([...this.prices].map(([sym, r]) => [sym, r.latest()]));
  }

  /** Candles, overlays and markers per symbol. */
  candles(): Record<string, SymbolChart> {
    return this.chart.toJson();
  }

  tradingState(): TradingJson {
    return this.trading.toJson();
  }

  /** News, newest last. */
  news(): NewsJson[] {
    return this.newsItems.values().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  graph(): GraphJson {
    const counts = Object.fromEntries(this.counts);
    const now = this.now();
    const last = this.samples.last();
    if (!last || now - last.atMs >= 1000) this.samples.push({ atMs: now, counts });
    // The rate against the oldest sample of the window: smooth, and 0 once a run stops producing.
    const from = this.samples.latest().find((s) => now - s.atMs <= RATE_WINDOW_MS && now - s.atMs > 0);
    const rates: Record<string, number> = {};
    for (const [name, n] of this.counts) rates[name] = from ? (n - (from.counts[name] ?? 0)) / ((now - from.atMs) / 1000) : 0;
    return { ...this.graphShape, counts, rates, deadLetters: Object.fromEntries(this.stageCounts) };
  }

  /** Calls `f` with every change until the returned function is called. */
  subscribe(f: (e: FeedEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private items(kind: Kind, items: readonly unknown[]): void {
    const emit = this.emitter;
    switch (kind) {
      case "signal":
        for (const s of items as readonly Signal[]) {
          const json = SignalMessage.encode(s);
          this.signals.push(json);
          this.emit({ type: "signal", signal: json });
          const close = s.inputs["close"];
          if (typeof close === "number") this.price(s.symbol, s.tsEvent, close);
        }
        this.chart.signals(items as readonly Signal[], emit);
        return;
      case "bar":
        this.chart.bars(items as readonly Bar[], emit);
        for (const b of items as readonly Bar[]) this.price(b.symbol, b.tsEvent, b.close);
        return;
      case "features":
        this.chart.features(items as readonly FeatureRow[], emit);
        for (const f of items as readonly FeatureRow[]) {
          const close = f.values["close"];
          if (typeof close === "number") this.price(f.symbol, f.tsEvent, close);
        }
        return;
      case "news":
        for (const n of items as readonly News[]) this.addNews(n.id, n.source, n.tsEvent, n.headline, n.symbols);
        return;
      case "scoredNews":
        for (const n of items as readonly ScoredNews[]) this.addNews(n.id, n.source, n.tsEvent, n.headline, [n.symbol], n);
        return;
      case "equity":
        this.trading.equity(items as readonly EquitySnapshot[], (ts) => this.chartTime(ts), emit);
        return;
      case "position":
        this.trading.positionSnapshots(items as readonly PositionSnapshot[], emit);
        return;
      case "order":
        this.trading.orders(items as readonly Order[], emit);
        return;
      case "fill":
        this.trading.fillItems(items as readonly Fill[], emit);
        this.chart.fills(items as readonly Fill[], emit);
        return;
      case "orderEvent":
        this.trading.orderEvents(items as readonly OrderEvent[], emit);
        return;
      default:
        return; // trades are counted, not charted (their bars are, when a node emits them)
    }
  }

  /** Chart seconds of an account-level event: a daily run's snapshots, stamped at the bar's end, show its session. */
  private chartTime(tsEvent: bigint): number {
    const barNs = this.chart.barNs();
    return Number((barNs >= 86_400_000_000_000n ? tsEvent - barNs : tsEvent) / 1_000_000_000n);
  }

  private addNews(id: string, source: string, tsEvent: bigint, headline: string, symbols: readonly string[], scored?: ScoredNews): void {
    const had = this.newsItems.get(id);
    const scores = [...(had?.scores ?? [])];
    if (scored) {
      const i = scores.findIndex((s) => s.symbol === scored.symbol);
      const s = { symbol: scored.symbol, score: scored.score, label: scored.label };
      if (i >= 0) scores[i] = s;
      else if (scores.length < 20) scores.push(s);
    }
    const merged = [...new Set([...(had?.symbols ?? []), ...symbols])].slice(0, 20);
    const news: NewsJson = { id, source, at: had?.at ?? nsToIso(tsEvent), headline: headline.slice(0, 300), symbols: merged, scores };
    this.newsItems.set(id, news);
    this.emit({ type: "news", news });
  }

  private count(m: Map<string, number>, name: string, n: number): void {
    const had = m.get(name);
    if (had !== undefined) m.set(name, had + n);
    else if (m.size < MAX_COUNTED) m.set(name, n);
  }

  private price(symbol: string, tsEvent: bigint, close: number): void {
    let r = this.prices.get(symbol);
    if (!r) {
      if (this.prices.size >= (this.o.maxSymbols ?? 50)) return;
      this.prices.set(symbol, (r = new Ring(this.o.pointsPerSymbol ?? 600)));
    }
    const point = { symbol, timeMs: Number(tsEvent / 1_000_000n), close };
    r.push(point);
    this.emit({ type: "price", point });
  }

  private emit(e: FeedEvent): void {
    for (const l of this.listeners) l(e);
  }
}
