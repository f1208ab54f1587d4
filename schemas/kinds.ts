// The kinds of item that flow along a pipeline's edges, and the message type that records/publishes each.
import { BarMessage, barId, type Bar } from "./bar.ts";
import { FeatureRowMessage } from "./features.ts";
import { NewsMessage, ScoredNewsMessage } from "./news.ts";
import { SignalMessage } from "./signal.ts";
import { TradeMessage } from "./trade.ts";
import { OrderMessage } from "./order.ts";
import { FillMessage } from "./fill.ts";
import { EquityMessage, PositionMessage } from "./position.ts";
import { OrderEventMessage } from "./orderEvent.ts";
import { BrokerEventMessage } from "./brokerEvent.ts";
import type { AnyMessageType } from "./message.ts";

export const KINDS = {
  trade: TradeMessage,
  bar: BarMessage,
  news: NewsMessage,
  scoredNews: ScoredNewsMessage,
  features: FeatureRowMessage,
  signal: SignalMessage,
  // Trading (issue 5): a broker node emits brokerEvent; the orders/fills/positions/equity/orderEvents selectors split it.
  brokerEvent: BrokerEventMessage,
  order: OrderMessage,
  fill: FillMessage,
  position: PositionMessage,
  equity: EquityMessage,
  orderEvent: OrderEventMessage,
} as const satisfies Record<string, AnyMessageType>;

export type Kind = keyof typeof KINDS;

/** Kinds a source can read from JetStream (and replay from the recording). */
export const SOURCE_KINDS = ["trade", "bar", "news"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Default subject filters per source kind. */
export const DEFAULT_SUBJECTS: Record<SourceKind, string[]> = {
  trade: ["md.trades.>"],
  bar: ["md.bars.>"],
  news: ["news.>"],
};

/** The subject a published item of a kind goes to (only kinds with a stream can be published). */
export function publishSubject(kind: Kind, item: { symbol?: string; timeframe?: string; source?: string; account?: string }): string {
  switch (kind) {
    case "signal": return `signals.${item.symbol}`;
    case "bar": return `md.bars.${item.timeframe}.${item.symbol}`;
    case "trade": return `md.trades.${item.symbol}`;
    case "news": return `news.${item.source}`;
    case "order": return `orders.${item.symbol}`;
    case "fill": return `fills.${item.symbol}`;
    case "orderEvent": return `orders.events.${item.account}`;
    default: throw new Error(`items of kind "${kind}" have no NATS subject; publish ${PUBLISHABLE_KINDS.join(", ")} items`);
  }
}

export const PUBLISHABLE_KINDS: readonly Kind[] = ["signal", "bar", "trade", "news", "order", "fill", "orderEvent"];

/** The message id of an input: what the recording keys it by and what live processing dedupes on. */
export function inputIdOf(kind: SourceKind, item: unknown): string {
  return kind === "bar" ? barId(item as Bar) : (item as { id: string }).id;
}

export const isSourceKind = (k: Kind): k is SourceKind => (SOURCE_KINDS as readonly string[]).includes(k);
