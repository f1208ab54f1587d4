// All message types by wire name: used to write the JSON Schema files and to create DuckDB tables.
import { TradeMessage } from "./trade.ts";
import { BarMessage } from "./bar.ts";
import { NewsMessage, ScoredNewsMessage } from "./news.ts";
import { SignalMessage } from "./signal.ts";
import { DeadLetterMessage } from "./deadLetter.ts";
import { FeatureRowMessage } from "./features.ts";
import { OrderMessage } from "./order.ts";
import { FillMessage } from "./fill.ts";
import { PositionMessage, EquityMessage } from "./position.ts";
import { OrderEventMessage } from "./orderEvent.ts";
import type { MessageType } from "./message.ts";
import type { AnyField } from "./field.ts";

export const MESSAGE_TYPES: readonly MessageType<Record<string, AnyField>>[] = [
  TradeMessage,
  BarMessage,
  NewsMessage,
  ScoredNewsMessage,
  SignalMessage,
  DeadLetterMessage,
  FeatureRowMessage,
  OrderMessage,
  FillMessage,
  PositionMessage,
  EquityMessage,
  OrderEventMessage,
] as unknown as MessageType<Record<string, AnyField>>[];
