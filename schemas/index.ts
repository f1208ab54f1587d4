// Every message type tickflow puts on the wire or in DuckDB, and the helpers to define more.
export * from "./field.ts";
export * from "./message.ts";
export * from "./time.ts";
export * from "./timeframe.ts";
export { TradeMessage, type Trade } from "./trade.ts";
export { BarMessage, barId, type Bar } from "./bar.ts";
export { NewsMessage, ScoredNewsMessage, type News, type ScoredNews } from "./news.ts";
export { SignalMessage, type Signal } from "./signal.ts";
export { DeadLetterMessage, type DeadLetter } from "./deadLetter.ts";
export { FeatureRowMessage, type FeatureRow } from "./features.ts";
export { OrderMessage, type Order } from "./order.ts";
export { FillMessage, type Fill } from "./fill.ts";
export { PositionMessage, EquityMessage, type PositionSnapshot, type EquitySnapshot } from "./position.ts";
export { OrderEventMessage, type OrderEvent } from "./orderEvent.ts";
