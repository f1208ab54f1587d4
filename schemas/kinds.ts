// The one registry of message kinds: for every kind of item that flows along a pipeline's edges, its message type,
// its role in the recording, where it comes from and goes to on NATS (default subject filters, subject builder,
// stream) and whether it is signed. Every other list (source kinds, publishable kinds, signed kinds, input tables,
// streams, JSON Schema files) is derived from this one, so a new kind is one entry here.
import { BarMessage, barId, type Bar } from "./bar.ts";
import type { Trade } from "./trade.ts";
import type { News, ScoredNews } from "./news.ts";
import type { FeatureRow } from "./features.ts";
import type { Signal } from "./signal.ts";
import type { Order } from "./order.ts";
import type { Fill } from "./fill.ts";
import type { EquitySnapshot, PositionSnapshot } from "./position.ts";
import type { OrderEvent } from "./orderEvent.ts";
import type { BrokerEvent } from "./brokerEvent.ts";
import { FeatureRowMessage } from "./features.ts";
import { NewsMessage, ScoredNewsMessage } from "./news.ts";
import { SignalMessage } from "./signal.ts";
import { TradeMessage } from "./trade.ts";
import { OrderMessage } from "./order.ts";
import { FillMessage } from "./fill.ts";
import { EquityMessage, PositionMessage } from "./position.ts";
import { OrderEventMessage } from "./orderEvent.ts";
import { BrokerEventMessage } from "./brokerEvent.ts";
import { DeadLetterMessage } from "./deadLetter.ts";
import type { AnyMessageType } from "./message.ts";

/** The JetStream streams tickflow reads and writes: the wire contract for subscribers in any language. */
export const STREAMS = [
  { name: "MARKET", subjects: ["md.>"], description: "market data: md.trades.<SYMBOL>, md.bars.<TIMEFRAME>.<SYMBOL>" },
  { name: "NEWS", subjects: ["news.>"], description: "news items: news.<SOURCE>" },
  { name: "SIGNALS", subjects: ["signals.>"], description: "trading signals: signals.<SYMBOL>" },
  { name: "ORDERS", subjects: ["orders.>", "fills.>"], description: "paper orders and fills: orders.<SYMBOL>, fills.<SYMBOL>, orders.events.<ACCOUNT>" },
  { name: "DLQ", subjects: ["dlq.>"], description: "dead letters: dlq.<STAGE>, reason in the Tickflow-Reason header" },
] as const;

export type StreamName = (typeof STREAMS)[number]["name"];

interface Addressed {
  readonly symbol?: string;
  readonly timeframe?: string;
  readonly source?: string;
  readonly account?: string;
}

export interface KindSpec {
  readonly type: AnyMessageType;
  /**
   * In the recording: `input` kinds are feeds (one table shared by all runs, keyed by message id); `output` kinds
   * are recorded per run and node; `internal` kinds only travel between operators (a broker's event envelope).
   */
  readonly role: "input" | "output" | "internal";
  /** Input kinds: the default subject filters a source of this kind reads. */
  readonly subjects?: readonly string[];
  /** Publishable kinds: the subject an item is published to. */
  readonly publish?: (item: Addressed) => string;
  /** The stream that stores the published subjects. */
  readonly stream?: StreamName;
  /** Published with a v2 HMAC signature (orders, fills, order events, signals; docs/signing.md). */
  readonly signed?: boolean;
}

export const KIND_SPECS = {
  trade: { type: TradeMessage, role: "input", subjects: ["md.trades.>"], publish: (t) => `md.trades.${subjectToken(t.symbol!)}`, stream: "MARKET" },
  bar: { type: BarMessage, role: "input", subjects: ["md.bars.>"], publish: (b) => `md.bars.${b.timeframe}.${subjectToken(b.symbol!)}`, stream: "MARKET" },
  news: { type: NewsMessage, role: "input", subjects: ["news.>"], publish: (n) => `news.${n.source}`, stream: "NEWS" },
  scoredNews: { type: ScoredNewsMessage, role: "output" },
  features: { type: FeatureRowMessage, role: "output" },
  signal: { type: SignalMessage, role: "output", publish: (s) => `signals.${subjectToken(s.symbol!)}`, stream: "SIGNALS", signed: true },
  // A broker node emits brokerEvent; the orders/fills/positions/equity/orderEvents selectors split it.
  brokerEvent: { type: BrokerEventMessage, role: "internal" },
  order: { type: OrderMessage, role: "output", publish: (o) => `orders.${subjectToken(o.symbol!)}`, stream: "ORDERS", signed: true },
  fill: { type: FillMessage, role: "output", publish: (f) => `fills.${subjectToken(f.symbol!)}`, stream: "ORDERS", signed: true },
  position: { type: PositionMessage, role: "output" },
  equity: { type: EquityMessage, role: "output" },
  orderEvent: { type: OrderEventMessage, role: "output", publish: (e) => `orders.events.${e.account}`, stream: "ORDERS", signed: true },
} as const satisfies Record<string, KindSpec>;

export type Kind = keyof typeof KIND_SPECS;

/** The in-memory item type of each kind: what flows along an edge of that kind. */
export interface KindItems {
  trade: Trade;
  bar: Bar;
  news: News;
  scoredNews: ScoredNews;
  features: FeatureRow;
  signal: Signal;
  brokerEvent: BrokerEvent;
  order: Order;
  fill: Fill;
  position: PositionSnapshot;
  equity: EquitySnapshot;
  orderEvent: OrderEvent;
}
/** The item type of a kind. */
export type ItemOf<K extends Kind> = KindItems[K];
// Every kind has an item type and every item type a kind.
type _Same = [Exclude<Kind, keyof KindItems>, Exclude<keyof KindItems, Kind>] extends [never, never] ? true : never;
export const KIND_ITEMS_COMPLETE: _Same = true;
type Specs = typeof KIND_SPECS;
const ALL = Object.keys(KIND_SPECS) as Kind[];
const spec = (k: Kind): KindSpec => KIND_SPECS[k];

/** The message type of each kind. */
export const KINDS = Object.fromEntries(ALL.map((k) => [k, KIND_SPECS[k].type])) as { readonly [K in Kind]: Specs[K]["type"] };

/** Kinds a source can read from JetStream (and replay from the recording). */
export type SourceKind = { [K in Kind]: Specs[K]["role"] extends "input" ? K : never }[Kind];
export const SOURCE_KINDS = ALL.filter((k) => spec(k).role === "input") as [SourceKind, ...SourceKind[]];

/** Default subject filters per source kind. */
export const DEFAULT_SUBJECTS = Object.fromEntries(SOURCE_KINDS.map((k) => [k, [...spec(k).subjects!]])) as Record<SourceKind, string[]>;

/** Kinds a nats sink can publish. */
export const PUBLISHABLE_KINDS: readonly Kind[] = ALL.filter((k) => spec(k).publish !== undefined);

/** Kinds published with a signature header. */
export const SIGNED_KINDS: ReadonlySet<string> = new Set(ALL.filter((k) => spec(k).signed));

/** Tables of input kinds: shared feeds, never run outputs. */
export const INPUT_TABLES: ReadonlySet<string> = new Set(SOURCE_KINDS.map((k) => spec(k).type.table));

/** Every message type with a wire form (JSON Schema file, DuckDB table): the kinds' types plus dead letters. */
export const MESSAGE_TYPES: readonly AnyMessageType[] = [...ALL.filter((k) => spec(k).role !== "internal").map((k) => spec(k).type), DeadLetterMessage];

/** The subject a published item of a kind goes to (only kinds with a subject builder can be published). */
export function publishSubject(kind: Kind, item: Addressed): string {
  const publish = spec(kind).publish;
  if (!publish) throw new Error(`items of kind "${kind}" have no NATS subject; publish ${PUBLISHABLE_KINDS.join(", ")} items`);
  return publish(item);
}

/**
 * A symbol as one subject token: a dot would split BRK.B into two tokens (and `md.trades.*` would miss it), so it
 * is written %2E, which no symbol contains. `symbolOfToken` reverses it.
 */
export const subjectToken = (symbol: string): string => symbol.replaceAll(".", "%2E");
export const symbolOfToken = (token: string): string => token.replaceAll("%2E", ".");

/**
 * Why an input's payload disagrees with the subject it came on, or undefined: a trade or bar for MSFT on
 * md.trades.AAPL would be recorded and replayed under a subject filter that does not describe it.
 */
export function subjectMismatch(kind: SourceKind, subject: string, item: unknown): { field: string; reason: string } | undefined {
  // `reason` completes `field "<field>" `, as MessageValidationError words it.
  const t = subject.split(".");
  if (kind === "trade" && t[0] === "md" && t[1] === "trades" && t.length === 3) {
    const symbol = (item as { symbol: string }).symbol;
    if (symbolOfToken(t[2]!) !== symbol) return { field: "symbol", reason: `is ${symbol} but the subject ${subject} says ${symbolOfToken(t[2]!)}` };
  }
  if (kind === "bar" && t[0] === "md" && t[1] === "bars" && t.length === 4) {
    const b = item as { symbol: string; timeframe: string };
    if (symbolOfToken(t[3]!) !== b.symbol) return { field: "symbol", reason: `is ${b.symbol} but the subject ${subject} says ${symbolOfToken(t[3]!)}` };
    if (t[2] !== b.timeframe) return { field: "timeframe", reason: `is ${b.timeframe} but the subject ${subject} says ${t[2]}` };
  }
  return undefined;
}

/** The stream that stores a subject. */
export function streamForSubject(subject: string): StreamName {
  const s = STREAMS.find((x) => x.subjects.some((f) => subjectMatches(f, subject)));
  if (!s) throw new Error(`no tickflow stream stores subject "${subject}" (streams: ${STREAMS.map((x) => `${x.name} ${x.subjects.join(" ")}`).join("; ")})`);
  return s.name;
}

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. A filter also matches a narrower filter. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== "*" && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** The message id of an input: what the recording keys it by and what live processing dedupes on. */
export function inputIdOf(kind: SourceKind, item: unknown): string {
  return kind === "bar" ? barId(item as Bar) : (item as { id: string }).id;
}

export const isSourceKind = (k: Kind): k is SourceKind => (SOURCE_KINDS as readonly string[]).includes(k);
