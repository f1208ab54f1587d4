// selectBrokerEvents: broker events → the messages of one kind (orders, fills, positions, equity or order events).
import type { OperatorFunction } from "rxjs";
import { mapItems, type Chunk } from "../core/chunk.ts";
import { innerOf, type BrokerEvent } from "../schemas/brokerEvent.ts";
import type { Fill } from "../schemas/fill.ts";
import type { Order } from "../schemas/order.ts";
import type { OrderEvent } from "../schemas/orderEvent.ts";
import type { EquitySnapshot, PositionSnapshot } from "../schemas/position.ts";

/** The message each broker event type carries. */
export interface BrokerEventMessages {
  readonly order: Order;
  readonly fill: Fill;
  readonly position: PositionSnapshot;
  readonly equity: EquitySnapshot;
  readonly orderEvent: OrderEvent;
}

/**
 * Keeps the broker events of one type and emits the message inside each (the same object, not a copy), in order.
 *
 * @example
 * brokerEvents$.pipe(selectBrokerEvents("fill")) // Chunk<BrokerEvent> → Chunk<Fill>
 * @param type the event type to keep
 */
export function selectBrokerEvents<T extends BrokerEvent["type"]>(type: T): OperatorFunction<Chunk<BrokerEvent>, Chunk<BrokerEventMessages[T]>> {
  return mapItems<BrokerEvent, BrokerEventMessages[T]>(() => (e) => (e.type === type ? (innerOf(e) as BrokerEventMessages[T]) : undefined));
}
