// A trade print (tick): what the market data feed publishes on md.trades.<SYMBOL>.
import { defineMessage, type MessageOf } from "./message.ts";
import { number, oneOf, optional, symbol, text, timestampNs } from "./field.ts";

export const TradeMessage = defineMessage({
  type: "trade",
  version: 1,
  table: "trades",
  description: "A trade print. Subject md.trades.<SYMBOL>.",
  fields: {
    id: text("unique trade id; also the JetStream Nats-Msg-Id", { min: 1, max: 200 }),
    symbol: symbol(),
    tsEvent: timestampNs("time the trade happened"),
    price: number("trade price", { positive: true }),
    size: number("traded quantity", { positive: true }),
    side: optional(oneOf(["buy", "sell"], "aggressor side, when known")),
  },
});
export type Trade = MessageOf<typeof TradeMessage.fields>;
