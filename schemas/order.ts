// An order's state: emitted by the PaperBroker each time an order is accepted, rejected, (partially) filled,
// replaced, cancelled or expired. Subject orders.<SYMBOL>. Ids are derived from inputs, so a replay repeats them.
import { defineMessage, type MessageOf } from "./message.ts";
import { integer, number, oneOf, optional, symbol, text, timestampNs } from "./field.ts";

export const ORDER_SIDES = ["buy", "sell"] as const;
export const ORDER_TYPES = ["market", "limit", "stop", "stop_limit"] as const;
export const TIME_IN_FORCE = ["day", "gtc", "ioc"] as const;
export const ORDER_STATUSES = ["accepted", "rejected", "partially_filled", "filled", "cancelled", "expired", "pending_parent"] as const;
export const BRACKET_ROLES = ["entry", "stop_loss", "take_profit"] as const;

export const OrderMessage = defineMessage({
  type: "order",
  // v2: the order type is `orderType` (v1 called it `type`, which collided with the envelope's message-kind tag).
  version: 2,
  table: "orders",
  description: "The state of an order after a change. Subject orders.<SYMBOL>. `id` is <strategy>:<symbol>:<tsSubmitted>:<n>.",
  fields: {
    id: text("broker order id, deterministic: <strategy>:<symbol>:<tsSubmitted>:<n>; bracket legs add :sl / :tp", { min: 1 }),
    clientOrderId: text("id given by the strategy (the broker id when none was given)", { min: 1 }),
    strategy: text("strategy that sent the order; 'risk' for kill-switch flattening orders", { min: 1 }),
    symbol: symbol(),
    side: oneOf(ORDER_SIDES, "buy or sell"),
    orderType: oneOf(ORDER_TYPES, 'market, limit, stop or stop_limit (the envelope\'s `type` is the message kind, "order")'),
    qty: number("ordered quantity in units (shares, contracts)", { positive: true }),
    limitPrice: optional(number("limit price (limit and stop_limit)", { positive: true })),
    stopPrice: optional(number("stop (trigger) price (stop and stop_limit)", { positive: true })),
    tif: oneOf(TIME_IN_FORCE, "time in force: day, gtc (good till cancelled) or ioc (immediate or cancel)"),
    parentId: optional(text("entry order id, for the stop-loss / take-profit legs of a bracket")),
    bracketRole: optional(oneOf(BRACKET_ROLES, "role in a bracket")),
    tsSubmitted: timestampNs("when the order (or its last replacement) was submitted; it can only fill on data after this"),
    tsEvent: timestampNs("time of this state change"),
    status: oneOf(ORDER_STATUSES, "state after this change; pending_parent = bracket leg waiting for its entry to fill"),
    filledQty: number("cumulative filled quantity", { nonNegative: true }),
    avgFillPrice: optional(number("average fill price so far", { positive: true })),
    revision: integer("0 when submitted, +1 per replace", { min: 0 }),
    reason: optional(text("why: the rejection reason, or what cancelled or expired it")),
  },
  check: (o) => {
    // A rejected request is recorded as it was sent, so it may lack the prices its type needs.
    if (o.status === "rejected") return undefined;
    if ((o.orderType === "limit" || o.orderType === "stop_limit") && o.limitPrice === undefined)
      return ["limitPrice", `is required for a ${o.orderType} order`];
    if ((o.orderType === "stop" || o.orderType === "stop_limit") && o.stopPrice === undefined) return ["stopPrice", `is required for a ${o.orderType} order`];
    if (o.filledQty > o.qty + 1e-9) return ["filledQty", `must be <= qty (${o.qty}), got ${o.filledQty}`];
    return undefined;
  },
});
export type Order = MessageOf<typeof OrderMessage.fields>;
export type OrderSide = Order["side"];
export type OrderType = Order["orderType"];
export type TimeInForce = Order["tif"];
export type OrderStatus = Order["status"];
