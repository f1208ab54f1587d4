// Where an order would fill on one bar or one trade print: the pure price rules of the matching engine,
// including the gap-open rule. Quantities, state and bookkeeping live in MatchingEngine.
import type { Bar } from "../schemas/bar.ts";
import type { OrderSide, OrderType } from "../schemas/order.ts";

export interface PriceOrder {
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly limitPrice?: number | undefined;
  readonly stopPrice?: number | undefined;
}

export interface FillPrice {
  /** Price before slippage. */
  readonly price: number;
  /** Taker fills get slippage; maker fills (a resting limit reached inside the range) fill exactly at the limit. */
  readonly liquidity: "maker" | "taker";
  /** True when the fill happened at the bar's open (or the first eligible print), so the whole range came after it. */
  readonly atOpen: boolean;
  /** The order's stop was reached (stop and stop_limit). */
  readonly triggered: boolean;
}

/** A fill, or "triggered" (a stop_limit reached its stop but not its limit), or undefined (nothing happened). */
export type Match = FillPrice | "triggered" | undefined;

const crossedUp = (price: number, level: number): boolean => price >= level;
const crossedDown = (price: number, level: number): boolean => price <= level;
/** For a buy, prices at or below the limit are acceptable; for a sell, at or above. */
const limitOk = (side: OrderSide, price: number, limit: number): boolean => (side === "buy" ? price <= limit : price >= limit);
/** A buy stop triggers when price rises to the stop, a sell stop when it falls to it. */
const stopHit = (side: OrderSide, price: number, stop: number): boolean => (side === "buy" ? crossedUp(price, stop) : crossedDown(price, stop));

/**
 * The fill price of an order on a bar whose whole range [low, high] happened after the order became active.
 *
 * Gap rule: a limit or stop already crossed at the open fills at the open (a buy limit at 100 on a bar
 * opening at 98 fills at 98; a sell stop at 95 on a bar opening at 93 fills at 93). Otherwise it fills at its own
 * price if the range reaches it. `marketAt` says where market orders fill ("open" or "close").
 * `alreadyTriggered` is a stop_limit whose stop was reached on an earlier bar: it behaves as a limit.
 */
export function fillPriceOnBar(o: PriceOrder, bar: Pick<Bar, "open" | "high" | "low" | "close">, marketAt: "open" | "close", alreadyTriggered: boolean): Match {
  const { open, high, low } = bar;
  const reachLimit = (limit: number, triggered: boolean): FillPrice | undefined => {
    if (limitOk(o.side, open, limit)) return { price: open, liquidity: "taker", atOpen: true, triggered };
    const inRange = o.side === "buy" ? low <= limit : high >= limit;
    return inRange ? { price: limit, liquidity: "maker", atOpen: false, triggered } : undefined;
  };
  switch (o.orderType) {
    case "market":
      return marketAt === "open"
        ? { price: open, liquidity: "taker", atOpen: true, triggered: false }
        : { price: bar.close, liquidity: "taker", atOpen: false, triggered: false };
    case "limit":
      return reachLimit(o.limitPrice!, false);
    case "stop": {
      const s = o.stopPrice!;
      if (stopHit(o.side, open, s)) return { price: open, liquidity: "taker", atOpen: true, triggered: true };
      const inRange = o.side === "buy" ? high >= s : low <= s;
      return inRange ? { price: s, liquidity: "taker", atOpen: false, triggered: true } : undefined;
    }
    case "stop_limit": {
      const s = o.stopPrice!;
      const l = o.limitPrice!;
      if (alreadyTriggered) return reachLimit(l, true);
      if (stopHit(o.side, open, s)) {
        // Triggered at the open: everything after the open is fair game for the limit.
        if (limitOk(o.side, open, l)) return { price: open, liquidity: "taker", atOpen: true, triggered: true };
        const inRange = o.side === "buy" ? low <= l : high >= l;
        return inRange ? { price: l, liquidity: "maker", atOpen: false, triggered: true } : "triggered";
      }
      const inRange = o.side === "buy" ? high >= s : low <= s;
      if (!inRange) return undefined;
      // Triggered inside the bar at the stop. We do not know the path after that, so we only fill when the stop
      // price itself satisfies the limit; otherwise the order works as a limit from the next bar (conservative).
      return limitOk(o.side, s, l) ? { price: s, liquidity: "taker", atOpen: false, triggered: true } : "triggered";
    }
  }
}

/**
 * The fill price of an order on one trade print. `firstPrint` is the first print the order is eligible for
 * (the trade-level "open"): a limit already crossed there fills at the print; later it fills at its own price.
 */
export function fillPriceOnTrade(o: PriceOrder, price: number, firstPrint: boolean, alreadyTriggered: boolean): Match {
  const limitFill = (limit: number, triggered: boolean, takerAtPrint: boolean): FillPrice | undefined => {
    if (!limitOk(o.side, price, limit)) return undefined;
    return takerAtPrint ? { price, liquidity: "taker", atOpen: true, triggered } : { price: limit, liquidity: "maker", atOpen: false, triggered };
  };
  switch (o.orderType) {
    case "market":
      return { price, liquidity: "taker", atOpen: true, triggered: false };
    case "limit":
      return limitFill(o.limitPrice!, false, firstPrint);
    case "stop":
      return stopHit(o.side, price, o.stopPrice!) ? { price, liquidity: "taker", atOpen: true, triggered: true } : undefined;
    case "stop_limit": {
      if (alreadyTriggered) return limitFill(o.limitPrice!, true, false);
      if (!stopHit(o.side, price, o.stopPrice!)) return undefined;
      return limitFill(o.limitPrice!, true, true) ?? "triggered";
    }
  }
}
