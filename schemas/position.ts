// Position and equity snapshots written by the PaperBroker after each market event (or each fill).
import { defineMessage, type MessageOf } from "./message.ts";
import { number, symbol, text, timestampNs } from "./field.ts";

export const PositionMessage = defineMessage({
  type: "position",
  version: 1,
  table: "positions",
  description: "One symbol's position after an event. Recorded (table positions), not published on NATS.",
  fields: {
    account: text("account (broker) name", { min: 1 }),
    symbol: symbol(),
    tsEvent: timestampNs("time of the event after which this is the state"),
    qty: number("signed quantity: > 0 long, < 0 short"),
    avgPrice: number("average entry price of the open quantity (0 when flat)", { nonNegative: true }),
    markPrice: number("last price used to value the position (0 before any price)", { nonNegative: true }),
    realizedPnl: number("realized P&L since start, commissions excluded"),
    unrealizedPnl: number("(markPrice - avgPrice) * qty * multiplier"),
    commission: number("commissions paid on this symbol since start", { nonNegative: true }),
  },
});
export type PositionSnapshot = MessageOf<typeof PositionMessage.fields>;

export const EquityMessage = defineMessage({
  type: "equity",
  version: 1,
  table: "equity",
  description: "Account totals after an event: equity = cash + sum of position values. Recorded (table equity), not published on NATS.",
  fields: {
    account: text("account (broker) name", { min: 1 }),
    tsEvent: timestampNs("time of the event after which this is the state"),
    cash: number("cash balance"),
    equity: number("cash + market value of cash instruments + unrealized P&L of margined instruments"),
    grossExposure: number("sum of |qty * markPrice * multiplier|", { nonNegative: true }),
    netExposure: number("sum of qty * markPrice * multiplier"),
    marginUsed: number("initial margin held by margined positions", { nonNegative: true }),
    realizedPnl: number("total realized P&L, commissions excluded"),
    unrealizedPnl: number("total unrealized P&L"),
    commission: number("total commissions paid", { nonNegative: true }),
  },
});
export type EquitySnapshot = MessageOf<typeof EquityMessage.fields>;
