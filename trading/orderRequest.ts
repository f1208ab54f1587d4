// OrderRequest: what a strategy asks for. Validated once, then turned into an Order (and bracket legs).
import type { Order, OrderSide, OrderType, TimeInForce } from "../schemas/order.ts";
import type { Instrument } from "./instrument.ts";

export interface BracketRequest {
  /** Stop price of the protective stop-loss leg (a stop order on the opposite side). */
  readonly stopLoss?: number;
  /** Limit price of the take-profit leg (a limit order on the opposite side). */
  readonly takeProfit?: number;
}

export interface OrderRequest {
  /** Default "manual". Part of the order id. */
  readonly strategy?: string;
  readonly clientOrderId?: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly qty: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  /** Default "gtc". */
  readonly tif?: TimeInForce;
  /** Event time the order is sent; it can only fill on data after this. */
  readonly tsEvent: bigint;
  /** Attach a stop-loss / take-profit pair (one cancels the other), active once the entry fills. */
  readonly bracket?: BracketRequest;
  /** The quantity may be a fraction of a lot (fractional sizing); otherwise it must be whole lots. */
  readonly fractional?: boolean;
}

const positive = (x: number | undefined): boolean => x !== undefined && Number.isFinite(x) && x > 0;

/** Why the request cannot become an order, or undefined when it is well-formed. */
export function requestProblem(r: OrderRequest, instrument: Instrument): string | undefined {
  if (!positive(r.qty)) return `qty must be a positive number, got ${r.qty}`;
  const lots = r.qty / instrument.lotSize;
  if (!r.fractional && Math.abs(lots - Math.round(lots)) > 1e-9) return `qty ${r.qty} is not a whole number of lots (lotSize ${instrument.lotSize})`;
  const needsLimit = r.orderType === "limit" || r.orderType === "stop_limit";
  const needsStop = r.orderType === "stop" || r.orderType === "stop_limit";
  if (needsLimit && !positive(r.limitPrice)) return `${r.orderType} order needs a positive limitPrice, got ${r.limitPrice}`;
  if (needsStop && !positive(r.stopPrice)) return `${r.orderType} order needs a positive stopPrice, got ${r.stopPrice}`;
  if (!needsLimit && r.limitPrice !== undefined) return `${r.orderType} order must not have a limitPrice`;
  if (!needsStop && r.stopPrice !== undefined) return `${r.orderType} order must not have a stopPrice`;
  const b = r.bracket;
  if (b) {
    if (b.stopLoss === undefined && b.takeProfit === undefined) return "bracket needs a stopLoss, a takeProfit, or both";
    if (b.stopLoss !== undefined && !positive(b.stopLoss)) return `bracket stopLoss must be positive, got ${b.stopLoss}`;
    if (b.takeProfit !== undefined && !positive(b.takeProfit)) return `bracket takeProfit must be positive, got ${b.takeProfit}`;
    if (b.stopLoss !== undefined && b.takeProfit !== undefined) {
      const ok = r.side === "buy" ? b.stopLoss < b.takeProfit : b.stopLoss > b.takeProfit;
      if (!ok)
        return `bracket on a ${r.side} entry needs stopLoss ${r.side === "buy" ? "below" : "above"} takeProfit, got stopLoss ${b.stopLoss} and takeProfit ${b.takeProfit}`;
    }
    if (r.tif === "ioc") return "a bracket entry cannot be IOC";
  }
  return undefined;
}

/** The accepted order for a request (status "accepted"), with the given broker id. */
export function orderFromRequest(r: OrderRequest, id: string): Order {
  return {
    id,
    clientOrderId: r.clientOrderId ?? id,
    strategy: r.strategy ?? "manual",
    symbol: r.symbol,
    side: r.side,
    orderType: r.orderType,
    qty: r.qty,
    ...(r.limitPrice !== undefined ? { limitPrice: r.limitPrice } : {}),
    ...(r.stopPrice !== undefined ? { stopPrice: r.stopPrice } : {}),
    tif: r.tif ?? "gtc",
    ...(r.bracket ? { bracketRole: "entry" as const } : {}),
    tsSubmitted: r.tsEvent,
    tsEvent: r.tsEvent,
    status: "accepted",
    filledQty: 0,
    revision: 0,
  };
}

/** The stop-loss and take-profit legs of a bracket entry, waiting for the entry to fill. */
export function bracketLegs(entry: Order, b: BracketRequest): Order[] {
  const side: OrderSide = entry.side === "buy" ? "sell" : "buy";
  const base = {
    clientOrderId: entry.clientOrderId,
    strategy: entry.strategy,
    symbol: entry.symbol,
    side,
    qty: entry.qty,
    tif: "gtc" as const,
    parentId: entry.id,
    tsSubmitted: entry.tsSubmitted,
    tsEvent: entry.tsEvent,
    status: "pending_parent" as const,
    filledQty: 0,
    revision: 0,
  };
  const legs: Order[] = [];
  if (b.stopLoss !== undefined)
    legs.push({
      ...base,
      id: `${entry.id}:sl`,
      clientOrderId: `${entry.clientOrderId}:sl`,
      orderType: "stop",
      stopPrice: b.stopLoss,
      bracketRole: "stop_loss",
    });
  if (b.takeProfit !== undefined)
    legs.push({
      ...base,
      id: `${entry.id}:tp`,
      clientOrderId: `${entry.clientOrderId}:tp`,
      orderType: "limit",
      limitPrice: b.takeProfit,
      bracketRole: "take_profit",
    });
  return legs;
}

/** A rejected order snapshot for a request that never became a working order. */
export function rejectedOrder(r: OrderRequest, id: string, reason: string): Order {
  // The wire schema requires qty > 0; a rejected non-positive qty is recorded with its absolute value or 0-safe 1e-12.
  const qty = positive(r.qty) ? r.qty : Math.abs(r.qty) || Number.MIN_VALUE;
  return { ...orderFromRequest({ ...r, qty }, id), status: "rejected", reason };
}
