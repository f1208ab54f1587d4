// A fill: part or all of an order executed by the matching engine. Subject fills.<SYMBOL>.
import { defineMessage, type MessageOf } from "./message.ts";
import { number, oneOf, symbol, text, timestampNs } from "./field.ts";

export const FillMessage = defineMessage({
  type: "fill",
  version: 1,
  table: "fills",
  description: "An execution. Subject fills.<SYMBOL>. `id` is <orderId>:f<n>.",
  fields: {
    id: text("deterministic fill id: <orderId>:f<n>", { min: 1 }),
    orderId: text("order that was filled", { min: 1 }),
    strategy: text("strategy that sent the order", { min: 1 }),
    symbol: symbol(),
    side: oneOf(["buy", "sell"], "buy or sell"),
    qty: number("filled quantity in units", { positive: true }),
    price: number("fill price, slippage included", { positive: true }),
    commission: number("commission charged for this fill, in account currency", { nonNegative: true }),
    tsEvent: timestampNs("when the fill became known: bar end (tsEvent) on bars, trade time on trades"),
    tsPrice: timestampNs("when the price traded: bar open for open fills, bar end for close fills, trade time on trades"),
    liquidity: oneOf(["maker", "taker"], "maker = resting limit filled at its price; taker = market, stop, or marketable limit"),
    policy: text("name of the fill policy that produced it", { min: 1 }),
  },
});
export type Fill = MessageOf<typeof FillMessage.fields>;
