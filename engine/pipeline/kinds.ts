// The kinds of item that flow along a pipeline's edges, and the message type that records/publishes each.
import { BarMessage } from "../../schemas/bar.ts";
import { FeatureRowMessage } from "../../schemas/features.ts";
import { NewsMessage, ScoredNewsMessage } from "../../schemas/news.ts";
import { SignalMessage } from "../../schemas/signal.ts";
import { TradeMessage } from "../../schemas/trade.ts";
import type { AnyMessageType } from "../../sinks/recordingTables.ts";

export const KINDS = {
  trade: TradeMessage,
  bar: BarMessage,
  news: NewsMessage,
  scoredNews: ScoredNewsMessage,
  features: FeatureRowMessage,
  signal: SignalMessage,
} as const satisfies Record<string, AnyMessageType>;

export type Kind = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as Kind[];

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
export function publishSubject(kind: Kind, item: { symbol?: string; timeframe?: string; source?: string }): string {
  switch (kind) {
    case "signal": return `signals.${item.symbol}`;
    case "bar": return `md.bars.${item.timeframe}.${item.symbol}`;
    case "trade": return `md.trades.${item.symbol}`;
    case "news": return `news.${item.source}`;
    default: throw new Error(`items of kind "${kind}" have no NATS subject; publish signals, bars, trades or news`);
  }
}

export const PUBLISHABLE_KINDS: readonly Kind[] = ["signal", "bar", "trade", "news"];
