// The baseline `npm run bench` compares tickflow's replay against (issue 15): the momentum-sentiment pipeline
// (pipelines/momentum-sentiment.yaml) written the obvious way a Node.js user would, with no tickflow modules:
// one RxJS emission per trade and per news item in event-time order, groupBy(symbol), scan for 1-minute bars,
// technicalindicators' nextValue for EMA(12), EMA(26) and RSI(14), the `sentiment` package (AFINN) for news,
// and a per-symbol "latest news score" as-of join. No batching and no typed arrays, on purpose.
import { DuckDBInstance, DuckDBListValue, type DuckDBConnection } from "@duckdb/node-api";
import { EMA, RSI } from "technicalindicators";
import Sentiment from "sentiment";
import { Observable, filter, from, groupBy, lastValueFrom, map, mergeMap, scan, tap, toArray } from "rxjs";

export interface PeerResult {
  trades: number;
  news: number;
  bars: number;
  signals: number;
  seconds: number;
}

interface TradeEvent {
  kind: "trade";
  ms: number;
  symbol: string;
  price: number;
  size: number;
}
interface NewsEvent {
  kind: "news";
  ms: number;
  headline: string;
  symbols: string[];
}
type Event = TradeEvent | NewsEvent;

interface Bar {
  symbol: string;
  minute: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

type Action = "buy" | "sell" | "flat";
export interface PeerSignal {
  symbol: string;
  minute: number;
  action: Action;
}

const MINUTE_MS = 60_000;
const MAX_STALENESS_MS = 4 * 60 * 60 * 1000;
// The simulator tags news about well-known companies by name only; a user would map names to tickers like this.
const COMPANY_SYMBOL: Record<string, string> = {
  Apple: "AAPL",
  Microsoft: "MSFT",
  Alphabet: "GOOGL",
  Amazon: "AMZN",
  Nvidia: "NVDA",
  Tesla: "TSLA",
  Meta: "META",
};

/** Runs the pipeline over a recording and returns the counts and the wall time from opening the file. */
export async function runPeer(dbPath: string): Promise<PeerResult> {
  const { result } = await runPeerWithSignals(dbPath);
  return result;
}

/** runPeer, also returning the emitted signals (for tests). */
export async function runPeerWithSignals(dbPath: string): Promise<{ result: PeerResult; signals: PeerSignal[] }> {
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(dbPath);
  // One connection per table: DuckDB keeps one open streaming result per connection.
  const tradesConnection = await instance.connect();
  const newsConnection = await instance.connect();
  try {
    const counts = { trades: 0, news: 0, bars: 0 };
    const events$ = from(mergeByTime(readTrades(tradesConnection), readNews(newsConnection))).pipe(
      tap((e) => (e.kind === "trade" ? counts.trades++ : counts.news++)),
    );
    const signals = await lastValueFrom(momentumSignals(events$, () => counts.bars++).pipe(toArray()));
    const seconds = (performance.now() - t0) / 1000;
    return { result: { ...counts, signals: signals.length, seconds }, signals };
  } finally {
    tradesConnection.closeSync();
    newsConnection.closeSync();
    instance.closeSync();
  }
}

/** The pipeline itself: events in event-time order → signals on change of action, per symbol. */
export function momentumSignals(events$: Observable<Event>, onBar: () => void = () => {}): Observable<PeerSignal> {
  const sentiment = new Sentiment();
  const latestNews = new Map<string, { ms: number; score: number }>();
  return events$.pipe(
    tap((e) => {
      if (e.kind === "news") rememberNews(latestNews, e, scoreHeadline(sentiment, e.headline));
    }),
    filter((e): e is TradeEvent => e.kind === "trade"),
    groupBy((t) => t.symbol),
    mergeMap((trades$) => symbolSignals(trades$, latestNews, onBar)),
  );
}

function symbolSignals(trades$: Observable<TradeEvent>, latestNews: Map<string, { ms: number; score: number }>, onBar: () => void): Observable<PeerSignal> {
  const emaFast = new EMA({ period: 12, values: [] });
  const emaSlow = new EMA({ period: 26, values: [] });
  const rsi = new RSI({ period: 14, values: [] });
  return closedBars(trades$).pipe(
    tap(onBar),
    map((bar) => {
      const fast = emaFast.nextValue(bar.close);
      const slow = emaSlow.nextValue(bar.close);
      const r = rsi.nextValue(bar.close);
      const news = latestNews.get(bar.symbol);
      // As-of join: the symbol's latest news at the bar's close. No decay here (tickflow uses a 30 min half-life).
      const score = news && bar.minute * MINUTE_MS + MINUTE_MS - news.ms <= MAX_STALENESS_MS ? news.score : 0;
      return { bar, action: fast === undefined || slow === undefined || r === undefined ? undefined : decide(fast, slow, r, score) };
    }),
    scan(
      (state, { bar, action }) => {
        if (action === undefined) return { ...state, emit: undefined };
        const changed = action !== state.last && !(state.last === undefined && action === "flat");
        return { last: action, emit: changed ? { symbol: bar.symbol, minute: bar.minute, action } : undefined };
      },
      { last: undefined as Action | undefined, emit: undefined as PeerSignal | undefined },
    ),
    map((s) => s.emit),
    filter((s): s is PeerSignal => s !== undefined),
  );
}

/** Trades of one symbol → its 1-minute bars, each emitted when a trade of a later minute arrives; the last one at the end. */
function closedBars(trades$: Observable<TradeEvent>): Observable<Bar> {
  return new Observable<Bar>((subscriber) => {
    let open: Bar | undefined;
    return trades$.subscribe({
      next: (t) => {
        const minute = Math.floor(t.ms / MINUTE_MS);
        if (open && minute > open.minute) {
          subscriber.next(open);
          open = undefined;
        }
        open = open ? addTrade(open, t) : newBar(t, minute);
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        if (open) subscriber.next(open);
        subscriber.complete();
      },
    });
  });
}

function newBar(t: TradeEvent, minute: number): Bar {
  return { symbol: t.symbol, minute, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.size };
}

function addTrade(bar: Bar, t: TradeEvent): Bar {
  return { ...bar, high: Math.max(bar.high, t.price), low: Math.min(bar.low, t.price), close: t.price, volume: bar.volume + t.size };
}

/** The momentum rule of the reference pipeline. */
export function decide(fast: number, slow: number, rsi: number, sentiment: number): Action {
  if (fast > slow && rsi < 70 && sentiment >= -0.3) return "buy";
  if (fast < slow && rsi > 30 && sentiment <= 0.3) return "sell";
  return "flat";
}

/** AFINN comparative score (score per token), clamped to [-1, 1]. */
function scoreHeadline(sentiment: Sentiment, headline: string): number {
  return Math.max(-1, Math.min(1, sentiment.analyze(headline).comparative));
}

function rememberNews(latest: Map<string, { ms: number; score: number }>, news: NewsEvent, score: number): void {
  for (const symbol of symbolsOf(news)) latest.set(symbol, { ms: news.ms, score });
}

function symbolsOf(news: NewsEvent): string[] {
  if (news.symbols.length > 0) return news.symbols;
  return Object.entries(COMPANY_SYMBOL)
    .filter(([name]) => news.headline.includes(name))
    .map(([, symbol]) => symbol);
}

/** Merges two event-time ordered streams into one (trades first on equal times). */
async function* mergeByTime(a: AsyncGenerator<Event>, b: AsyncGenerator<Event>): AsyncGenerator<Event> {
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.ms <= y.value.ms)) {
      yield x.value as Event;
      x = await a.next();
    } else {
      yield y.value;
      y = await b.next();
    }
  }
}

async function* readTrades(connection: DuckDBConnection): AsyncGenerator<Event> {
  const sql = "SELECT symbol, epoch_ns(ts_event) / 1e6 AS ms, price, size FROM trades ORDER BY ts_event, stream_seq";
  for await (const row of streamRows(connection, sql)) {
    yield { kind: "trade", symbol: String(row.symbol), ms: Number(row.ms), price: Number(row.price), size: Number(row.size) };
  }
}

async function* readNews(connection: DuckDBConnection): AsyncGenerator<Event> {
  const sql = "SELECT headline, epoch_ns(ts_event) / 1e6 AS ms, symbols FROM news ORDER BY ts_event, stream_seq";
  for await (const row of streamRows(connection, sql)) {
    yield { kind: "news", headline: String(row.headline ?? ""), ms: Number(row.ms), symbols: toStringArray(row.symbols) };
  }
}

function toStringArray(v: unknown): string[] {
  if (v instanceof DuckDBListValue) return v.items.map(String);
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string" && v.startsWith("[")) return (JSON.parse(v) as unknown[]).map(String);
  return [];
}

/** Streams a query's rows one chunk at a time, as plain JS objects. */
async function* streamRows(connection: DuckDBConnection, sql: string): AsyncGenerator<Record<string, unknown>> {
  const result = await connection.stream(sql);
  const names = result.deduplicatedColumnNames();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    for (const row of chunk.getRowObjects(names)) yield row;
  }
}
