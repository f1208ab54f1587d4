// What the dashboard and the JSON API show of a live run: the latest signals (a bounded ring), recent prices per
// symbol, recent dead letters; fed by the run's metric hooks, pushed to subscribers (the SSE endpoint).
// Bounded everywhere: a run over many symbols or a long day keeps a fixed amount of memory.
import type { Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import { SignalMessage, type Signal } from "../schemas/signal.ts";
import type { Bar } from "../schemas/bar.ts";
import type { FeatureRow } from "../schemas/features.ts";

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

export type FeedEvent =
  | { readonly type: "signal"; readonly signal: SignalJson }
  | { readonly type: "price"; readonly point: PricePoint }
  | { readonly type: "deadLetter"; readonly letter: DeadLetterJson };

export interface LiveFeedOptions {
  /** Signals kept for /api/signals. Default 500. */
  readonly signals?: number;
  /** Price points kept per symbol. Default 600. */
  readonly pointsPerSymbol?: number;
  /** Symbols with a price series; later symbols are not charted (their signals still are listed). Default 50. */
  readonly maxSymbols?: number;
  /** Dead letters kept. Default 100. */
  readonly deadLetters?: number;
}

class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(x: T): void {
    this.items.push(x);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
  /** The newest `n`, oldest first. */
  latest(n = this.capacity): T[] {
    return this.items.slice(Math.max(0, this.items.length - n));
  }
}

export class LiveFeed {
  private readonly signals: Ring<SignalJson>;
  private readonly prices = new Map<string, Ring<PricePoint>>();
  private readonly letters: Ring<DeadLetterJson>;
  private readonly listeners = new Set<(e: FeedEvent) => void>();

  constructor(private readonly o: LiveFeedOptions = {}) {
    this.signals = new Ring(o.signals ?? 500);
    this.letters = new Ring(o.deadLetters ?? 100);
  }

  /** Run hook: takes prices from bars (close), feature rows (values.close) and signals (inputs.close). */
  outputs(_node: string, kind: Kind, items: readonly unknown[]): void {
    if (kind === "signal") {
      for (const s of items as readonly Signal[]) {
        const json = SignalMessage.encode(s);
        this.signals.push(json);
        this.emit({ type: "signal", signal: json });
        const close = s.inputs["close"];
        if (typeof close === "number") this.price(s.symbol, s.tsEvent, close);
      }
    } else if (kind === "bar") {
      for (const b of items as readonly Bar[]) this.price(b.symbol, b.tsEvent, b.close);
    } else if (kind === "features") {
      for (const f of items as readonly FeatureRow[]) {
        const close = f.values["close"];
        if (typeof close === "number") this.price(f.symbol, f.tsEvent, close);
      }
    }
  }

  deadLetter(l: DeadLetter): void {
    const letter = { stage: l.stage, subject: l.subject, ref: l.ref, reason: l.reason };
    this.letters.push(letter);
    this.emit({ type: "deadLetter", letter });
  }

  latestSignals(limit: number): SignalJson[] {
    return this.signals.latest(limit);
  }

  latestDeadLetters(limit: number): DeadLetterJson[] {
    return this.letters.latest(limit);
  }

  /** Recent price points per symbol, oldest first. */
  priceSeries(): Record<string, PricePoint[]> {
    return Object.fromEntries([...this.prices].map(([sym, r]) => [sym, r.latest()]));
  }

  /** Calls `f` with every new signal, price and dead letter until the returned function is called. */
  subscribe(f: (e: FeedEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
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
