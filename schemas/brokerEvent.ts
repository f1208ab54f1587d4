// The message type of the `brokerEvent` pipeline kind: one PaperBroker event (order state, fill, position or
// equity snapshot, kill-switch event) as it flows between a broker node and the selector nodes that split it.
// In memory it is the broker's own `BrokerEvent` (no copy, no re-encoding on the hot path); on the wire and in
// DuckDB it is a flat envelope whose `payload` is the inner message's exact wire JSON (schemas/order.ts etc.).
import { defineMessage, type MessageOf } from "./message.ts";
import { oneOf, optional, symbol, text, timestampNs } from "./field.ts";
import { OrderMessage } from "./order.ts";
import { FillMessage } from "./fill.ts";
import { EquityMessage, PositionMessage } from "./position.ts";
import { OrderEventMessage } from "./orderEvent.ts";
import type { AnyMessageType } from "./message.ts";
import type { Order } from "./order.ts";
import type { Fill } from "./fill.ts";
import type { EquitySnapshot, PositionSnapshot } from "./position.ts";
import type { OrderEvent } from "./orderEvent.ts";

/** What the matching engine emits: an order's new state or a fill. */
export type EngineEvent = { readonly type: "order"; readonly order: Order } | { readonly type: "fill"; readonly fill: Fill };

/** One paper-broker event: an engine event, a position or equity snapshot, or an order event (rejections, kill switch). */
export type BrokerEvent =
  | EngineEvent
  | { readonly type: "position"; readonly position: PositionSnapshot }
  | { readonly type: "equity"; readonly equity: EquitySnapshot }
  | { readonly type: "orderEvent"; readonly event: OrderEvent };

export const BROKER_EVENT_TYPES = ["order", "fill", "position", "equity", "orderEvent"] as const;

const Envelope = defineMessage({
  type: "broker_event",
  version: 1,
  table: "broker_events",
  description: "One PaperBroker event. `payload` is the wire JSON of the inner order, fill, position, equity or order_event message.",
  fields: {
    event: oneOf(BROKER_EVENT_TYPES, "which message the payload holds"),
    tsEvent: timestampNs("event time of the inner message"),
    symbol: optional(symbol("symbol, for order, fill and position events")),
    ref: text("the inner message's id, or <account>:<event>:<tsEvent> for snapshots", { min: 1 }),
    payload: text("wire JSON of the inner message", { min: 2 }),
  },
});
type Envelope = MessageOf<typeof Envelope.fields>;

const INNER: Record<BrokerEvent["type"], AnyMessageType> = {
  order: OrderMessage,
  fill: FillMessage,
  position: PositionMessage,
  equity: EquityMessage,
  orderEvent: OrderEventMessage,
};

/** The inner message of a broker event (the order, fill, snapshot or order event itself). */
export function innerOf(e: BrokerEvent): { readonly tsEvent: bigint; readonly symbol?: string; readonly id?: string; readonly account?: string } {
  switch (e.type) {
    case "order":
      return e.order;
    case "fill":
      return e.fill;
    case "position":
      return e.position;
    case "equity":
      return e.equity;
    case "orderEvent":
      return e.event;
  }
}

function toEnvelope(e: BrokerEvent): Envelope {
  const m = innerOf(e);
  const payload = JSON.stringify(INNER[e.type].encode(m as never));
  return { event: e.type, tsEvent: m.tsEvent, symbol: m.symbol, ref: m.id ?? `${m.account}:${e.type}:${m.tsEvent}`, payload };
}

function fromEnvelope(env: Envelope, ref: string): BrokerEvent {
  const inner = INNER[env.event].decodeBytes(env.payload, ref) as never;
  switch (env.event) {
    case "order":
      return { type: "order", order: inner };
    case "fill":
      return { type: "fill", fill: inner };
    case "position":
      return { type: "position", position: inner };
    case "equity":
      return { type: "equity", equity: inner };
    case "orderEvent":
      return { type: "orderEvent", event: inner };
  }
}

/** Envelope codec around the broker's in-memory events; satisfies the engine's message-type contract. */
export const BrokerEventMessage: AnyMessageType = {
  ...Envelope,
  decode: (json: unknown, ref: string) => fromEnvelope(Envelope.decode(json, ref), ref),
  decodeBytes: (bytes: Uint8Array | string, ref: string) => fromEnvelope(Envelope.decodeBytes(bytes, ref), ref),
  encode: (e: BrokerEvent) => Envelope.encode(toEnvelope(e)),
  encodeBytes: (e: BrokerEvent) => Envelope.encodeBytes(toEnvelope(e)),
  encodeText: (e: BrokerEvent) => Envelope.encodeText(toEnvelope(e)),
  toRow: (e: BrokerEvent) => Envelope.toRow(toEnvelope(e)),
  fromRow: (row: readonly unknown[]) => fromEnvelope(Envelope.fromRow(row), "(row)"),
  create: (e: BrokerEvent) => e,
} as unknown as AnyMessageType;
