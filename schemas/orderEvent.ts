// Broker-level events that are not about one order's state: the daily-loss kill switch tripping and being reset.
import { defineMessage, type MessageOf } from "./message.ts";
import { number, oneOf, text, timestampNs } from "./field.ts";

export const OrderEventMessage = defineMessage({
  type: "order_event",
  version: 1,
  table: "order_events",
  description: "A broker event affecting all orders (kill switch). Subject orders.events.<ACCOUNT>.",
  fields: {
    id: text("deterministic id: <account>:<kind>:<tsEvent>", { min: 1 }),
    account: text("account (broker) name", { min: 1 }),
    tsEvent: timestampNs("when it happened"),
    kind: oneOf(["kill_switch_tripped", "kill_switch_reset"], "what happened"),
    reason: text("why, with the numbers", { min: 1 }),
    equity: number("account equity at that moment"),
  },
});
export type OrderEvent = MessageOf<typeof OrderEventMessage.fields>;
