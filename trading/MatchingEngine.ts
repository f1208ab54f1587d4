// MatchingEngine: keeps the working orders and fills them against bars or trades under one FillPolicy.
// Live paper trading and backtests use this same class; it has no clock of its own, only event times.
import type { Bar } from "../schemas/bar.ts";
import type { Trade } from "../schemas/trade.ts";
import type { Fill } from "../schemas/fill.ts";
import type { Order, OrderStatus } from "../schemas/order.ts";
import type { EngineEvent } from "../schemas/brokerEvent.ts";
import { sessionDay, slipped, type FillPolicy } from "./fillPolicy.ts";
import { fillPriceOnBar, fillPriceOnTrade, type FillPrice, type Match } from "./fillPrice.ts";
import { commissionFor, roundDownToLot, type Instrument } from "./instrument.ts";
import { bracketLegs, orderFromRequest, requestProblem, type OrderRequest } from "./orderRequest.ts";

/** One working order and what the engine remembers about it. Plain data (bigints included). */
export interface WorkingOrder {
  order: Order;
  seq: number;
  /** Bars with tsOpen >= barsFrom may fill it: their whole range happened after the order was sent. */
  barsFrom: bigint;
  /** Trades with tsEvent >= tradesFrom may fill it (submission time + latency). */
  tradesFrom: bigint;
  /** Trading day a DAY order lives in, set by the first bar or trade it is eligible for. */
  session?: bigint;
  /** A stop_limit whose stop has been reached: it now works as a limit. */
  triggered: boolean;
  /** On trades: it has seen its first eligible print (after which limits fill at their own price). */
  seenPrint: boolean;
  fillCount: number;
  fillNotional: number;
}

/** Entry and legs of one bracket; the legs' quantity follows what the entry filled minus what the legs filled. */
export interface BracketGroup {
  entryId: string;
  legIds: string[];
  entryFilled: number;
  entryDone: boolean;
  /** Filled quantity per leg id (kept here because finished legs leave the working list). */
  legFilled: Record<string, number>;
}

/** Everything the engine remembers (plain data, bigints included, for a checkpoint). */
export interface MatchingEngineState {
  /** Working orders, oldest first. */
  working: WorkingOrder[];
  /** Open brackets by entry order id. */
  brackets: Record<string, BracketGroup>;
  /** Latest bar per symbol (signal_close fills at its close). */
  lastBars: Record<string, Bar>;
  /** Next WorkingOrder.seq. */
  seq: number;
}

export interface ReplaceChanges {
  readonly qty?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

const EPS = 1e-9;
const TERMINAL: ReadonlySet<OrderStatus> = new Set(["filled", "cancelled", "expired", "rejected"]);
export const isTerminal = (o: Order): boolean => TERMINAL.has(o.status);

export class MatchingEngine {
  private s: MatchingEngineState;

  constructor(
    readonly policy: FillPolicy,
    private readonly instrumentOf: (symbol: string) => Instrument,
    state?: MatchingEngineState,
  ) {
    this.s = state ? structuredClone(state) : { working: [], brackets: {}, lastBars: {}, seq: 0 };
  }

  toState(): MatchingEngineState {
    return structuredClone(this.s);
  }

  /** The latest bar of `symbol` the engine has seen, if any. */
  lastBar(symbol: string): Bar | undefined {
    return this.s.lastBars[symbol];
  }

  /** Working orders (accepted, partially filled, or bracket legs waiting for their entry), oldest first. */
  openOrders(symbol?: string): Order[] {
    return this.s.working.filter((w) => symbol === undefined || w.order.symbol === symbol).map((w) => w.order);
  }

  /** Why this request cannot be accepted, or undefined. */
  problem(r: OrderRequest): string | undefined {
    return requestProblem(r, this.instrumentOf(r.symbol));
  }

  /**
   * Adds an already validated and risk-checked request as working order `id`. Under the `signal_close` policy
   * it is first matched against the close of the symbol's latest bar (the bar that produced the signal).
   */
  submit(r: OrderRequest, id: string): EngineEvent[] {
    const order = orderFromRequest(r, id);
    const latency = BigInt(this.policy.latencyNs);
    const w = this.track(order, r.tsEvent, r.tsEvent + latency);
    const out: EngineEvent[] = [{ type: "order", order }];
    if (r.bracket) {
      const legs = bracketLegs(order, r.bracket);
      for (const leg of legs) {
        this.track(leg, r.tsEvent, r.tsEvent);
        out.push({ type: "order", order: leg });
      }
      this.s.brackets[id] = { entryId: id, legIds: legs.map((l) => l.id), entryFilled: 0, entryDone: false, legFilled: {} };
    }
    const bar = this.s.lastBars[r.symbol];
    if (this.policy.onBars === "signal_close" && bar && bar.tsEvent <= r.tsEvent) {
      // The close is the last known price: treat it as one print at the order's time.
      const m = fillPriceOnTrade(order, bar.close, true, false);
      const volLeft = { v: this.volumeCap(bar.volume) };
      this.apply(w, m, volLeft, r.tsEvent, bar.tsEvent, bar, out);
      if (order.tif === "ioc") this.cancelIoc(w, r.tsEvent, out);
      this.compact();
    }
    return out;
  }

  /**
   * Places an already validated market order and fills it at once, whole, at the open or close of the symbol's
   * latest bar (slippage and commission as usual): how a run's open positions are closed at its end.
   */
  fillAtLastBar(r: OrderRequest, id: string, at: "open" | "close"): EngineEvent[] {
    const order = orderFromRequest(r, id);
    const w = this.track(order, r.tsEvent, r.tsEvent);
    const out: EngineEvent[] = [{ type: "order", order }];
    const bar = this.s.lastBars[r.symbol];
    if (bar) this.apply(w, fillPriceOnBar(order, bar, at, false), { v: Infinity }, r.tsEvent, undefined, bar, out);
    this.compact();
    return out;
  }

  /** Cancels a working order. Returns the events, or a reason when there is nothing to cancel. */
  cancel(orderId: string, ts: bigint): EngineEvent[] | string {
    const w = this.s.working.find((x) => x.order.id === orderId);
    if (!w) return `order ${orderId} is not working (unknown, or already filled, cancelled or expired)`;
    const out: EngineEvent[] = [];
    this.finish(w, "cancelled", ts, "cancelled on request", out);
    this.afterChange(w, ts, out);
    this.compact();
    return out;
  }

  /** Cancels every working order and drops every bracket group, e.g. when the kill switch trips. */
  cancelAll(ts: bigint, reason: string): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const w of this.s.working) if (!isTerminal(w.order)) this.finish(w, "cancelled", ts, reason, out);
    this.s.brackets = {};
    this.compact();
    return out;
  }

  /**
   * Changes quantity and/or prices of a working order. The replaced order counts as newly sent at `ts`:
   * it can only fill on data after `ts`. Returns the events, or why it cannot be replaced.
   */
  replace(orderId: string, changes: ReplaceChanges, ts: bigint): EngineEvent[] | string {
    const w = this.s.working.find((x) => x.order.id === orderId);
    if (!w) return `order ${orderId} is not working (unknown, or already filled, cancelled or expired)`;
    const o = w.order;
    if (o.parentId !== undefined && changes.qty !== undefined)
      return `order ${orderId} is a bracket leg: its qty follows the entry's fills; change prices only`;
    const qty = changes.qty ?? o.qty;
    if (qty <= o.filledQty + EPS) return `new qty ${qty} must exceed the already filled ${o.filledQty}`;
    const limitPrice = changes.limitPrice ?? o.limitPrice;
    const stopPrice = changes.stopPrice ?? o.stopPrice;
    const problem = requestProblem(
      {
        symbol: o.symbol,
        side: o.side,
        orderType: o.orderType,
        qty,
        tsEvent: ts,
        ...(limitPrice !== undefined ? { limitPrice } : {}),
        ...(stopPrice !== undefined ? { stopPrice } : {}),
      },
      this.instrumentOf(o.symbol),
    );
    if (problem) return problem;
    const what = [
      changes.qty !== undefined ? `qty ${o.qty} -> ${qty}` : "",
      changes.limitPrice !== undefined ? `limitPrice ${o.limitPrice} -> ${limitPrice}` : "",
      changes.stopPrice !== undefined ? `stopPrice ${o.stopPrice} -> ${stopPrice}` : "",
    ].filter(Boolean);
    this.update(
      w,
      {
        qty,
        ...(limitPrice !== undefined ? { limitPrice } : {}),
        ...(stopPrice !== undefined ? { stopPrice } : {}),
        tsSubmitted: ts,
        revision: o.revision + 1,
      },
      ts,
      `replaced: ${what.join(", ") || "no change"}`,
    );
    w.barsFrom = ts;
    w.tradesFrom = ts + BigInt(this.policy.latencyNs);
    delete w.session;
    w.seenPrint = false;
    if (changes.stopPrice !== undefined) w.triggered = false;
    return [{ type: "order", order: w.order }];
  }

  /** Matches the working orders of `bar.symbol` against the bar, oldest order first. */
  onBar(bar: Bar): EngineEvent[] {
    this.s.lastBars[bar.symbol] = bar;
    const out: EngineEvent[] = [];
    if (this.s.working.length === 0) return out;
    const marketAt = this.policy.onBars === "next_open" ? "open" : "close";
    const volLeft = { v: this.volumeCap(bar.volume) };
    const day = sessionDay(this.policy, bar.tsOpen);
    // Index loop: bracket legs activated by an entry filled at this bar's open are matched in the same pass.
    for (let i = 0; i < this.s.working.length; i++) {
      const w = this.s.working[i]!;
      const o = w.order;
      if (o.symbol !== bar.symbol || o.status === "pending_parent" || isTerminal(o) || bar.tsOpen < w.barsFrom) continue;
      if (this.expired(w, day, bar.tsEvent, out)) continue;
      if (o.bracketRole === "stop_loss" && this.siblingTakesOpen(w, bar)) continue;
      const m = fillPriceOnBar(o, bar, marketAt, w.triggered);
      this.apply(w, m, volLeft, bar.tsEvent, undefined, bar, out);
      if (o.tif === "ioc") this.cancelIoc(w, bar.tsEvent, out);
    }
    this.compact();
    return out;
  }

  /** Matches the working orders of `t.symbol` against one trade print. */
  onTrade(t: Trade): EngineEvent[] {
    const out: EngineEvent[] = [];
    if (this.s.working.length === 0) return out;
    const volLeft = { v: this.volumeCap(t.size) };
    const day = sessionDay(this.policy, t.tsEvent);
    for (let i = 0; i < this.s.working.length; i++) {
      const w = this.s.working[i]!;
      const o = w.order;
      if (o.symbol !== t.symbol || o.status === "pending_parent" || isTerminal(o) || t.tsEvent < w.tradesFrom) continue;
      if (this.expired(w, day, t.tsEvent, out)) continue;
      const m = fillPriceOnTrade(o, t.price, !w.seenPrint, w.triggered);
      w.seenPrint = true;
      this.apply(w, m, volLeft, t.tsEvent, t.tsEvent, undefined, out);
      if (o.tif === "ioc") this.cancelIoc(w, t.tsEvent, out);
    }
    this.compact();
    return out;
  }

  // --- internals -------------------------------------------------------------------------------------------

  private track(order: Order, barsFrom: bigint, tradesFrom: bigint): WorkingOrder {
    const w: WorkingOrder = { order, seq: this.s.seq++, barsFrom, tradesFrom, triggered: false, seenPrint: false, fillCount: 0, fillNotional: 0 };
    this.s.working.push(w);
    return w;
  }

  private volumeCap(volume: number): number {
    return this.policy.participation === undefined ? Infinity : this.policy.participation * volume;
  }

  private expired(w: WorkingOrder, day: bigint, ts: bigint, out: EngineEvent[]): boolean {
    if (w.order.tif !== "day") return false;
    if (w.session === undefined) {
      w.session = day;
      return false;
    }
    if (day <= w.session) return false;
    this.finish(w, "expired", ts, `DAY order expired at the end of trading day ${w.session}`, out);
    this.afterChange(w, ts, out);
    return true;
  }

  /** Same-bar rule for brackets: a take-profit crossed at the open fills first; otherwise the stop-loss goes first. */
  private siblingTakesOpen(sl: WorkingOrder, bar: Bar): boolean {
    const group = sl.order.parentId === undefined ? undefined : this.s.brackets[sl.order.parentId];
    if (!group) return false;
    const tp = this.s.working.find((x) => x.order.bracketRole === "take_profit" && x.order.parentId === sl.order.parentId);
    if (!tp || tp.order.status === "pending_parent" || isTerminal(tp.order) || bar.tsOpen < tp.barsFrom) return false;
    const m = fillPriceOnBar(tp.order, bar, "open", false);
    return m !== undefined && m !== "triggered" && m.atOpen;
  }

  private apply(
    w: WorkingOrder,
    m: Match,
    volLeft: { v: number },
    tsEvent: bigint,
    tsPrice: bigint | undefined,
    bar: Bar | undefined,
    out: EngineEvent[],
  ): void {
    if (m === undefined) return;
    if (m === "triggered") {
      w.triggered = true;
      return;
    }
    if (m.triggered) w.triggered = true;
    const inst = this.instrumentOf(w.order.symbol);
    const remaining = w.order.qty - w.order.filledQty;
    const qty = Math.min(remaining, roundDownToLot(volLeft.v, inst.lotSize));
    if (qty <= EPS) return;
    volLeft.v -= qty;
    const price = this.priceWithCosts(w, m, inst, bar);
    const at = tsPrice ?? (m.atOpen ? bar!.tsOpen : bar!.tsEvent);
    this.fill(w, qty, price, m.liquidity, tsEvent, at, inst, out);
  }

  /** Slippage against taker fills, never better than the limit nor outside the bar's range. */
  private priceWithCosts(w: WorkingOrder, m: FillPrice, inst: Instrument, bar: Bar | undefined): number {
    let p = m.liquidity === "taker" ? slipped(this.policy, m.price, w.order.side, inst.tickSize) : m.price;
    const lim = w.order.limitPrice;
    if (lim !== undefined && (w.order.orderType === "limit" || w.order.orderType === "stop_limit"))
      p = w.order.side === "buy" ? Math.min(p, lim) : Math.max(p, lim);
    if (bar) p = Math.min(Math.max(p, bar.low), bar.high);
    return p;
  }

  private fill(
    w: WorkingOrder,
    qty: number,
    price: number,
    liquidity: "maker" | "taker",
    tsEvent: bigint,
    tsPrice: bigint,
    inst: Instrument,
    out: EngineEvent[],
  ): void {
    const o = w.order;
    const commission = commissionFor(inst, qty, price, w.fillCount === 0);
    w.fillCount++;
    w.fillNotional += qty * price;
    const fill: Fill = {
      id: `${o.id}:f${w.fillCount}`,
      orderId: o.id,
      strategy: o.strategy,
      symbol: o.symbol,
      side: o.side,
      qty,
      price,
      commission,
      tsEvent,
      tsPrice,
      liquidity,
      policy: this.policy.name,
    };
    out.push({ type: "fill", fill });
    const filledQty = o.filledQty + qty;
    const done = filledQty >= o.qty - EPS;
    this.update(w, { filledQty: done ? o.qty : filledQty, avgFillPrice: w.fillNotional / filledQty, status: done ? "filled" : "partially_filled" }, tsEvent);
    out.push({ type: "order", order: w.order });
    this.afterChange(w, tsEvent, out, liquidity === "taker" && tsPrice < tsEvent ? tsPrice : tsEvent);
  }

  /** Keeps a bracket consistent after its entry or a leg changed. `legsFrom`: when newly active legs may fill. */
  private afterChange(w: WorkingOrder, ts: bigint, out: EngineEvent[], legsFrom: bigint = ts): void {
    const entryId = w.order.bracketRole === "entry" ? w.order.id : w.order.parentId;
    if (entryId === undefined) return;
    const g = this.s.brackets[entryId];
    if (!g) return;
    if (w.order.id === entryId) {
      g.entryFilled = w.order.filledQty;
      g.entryDone = isTerminal(w.order);
    } else {
      g.legFilled[w.order.id] = w.order.filledQty;
    }
    const legs = g.legIds.map((id) => this.s.working.find((x) => x.order.id === id)).filter((x): x is WorkingOrder => x !== undefined && !isTerminal(x.order));
    const legsFilled = Object.values(g.legFilled).reduce((a, b) => a + b, 0);
    const open = g.entryFilled - legsFilled;
    for (const leg of legs) {
      if (open <= EPS) {
        if (!g.entryDone) continue; // entry still working: the leg waits for more of it to fill
        if (leg.order.filledQty > EPS) this.finish(leg, "filled", ts, "bracket closed", out, leg.order.filledQty);
        else this.finish(leg, "cancelled", ts, g.entryFilled > EPS ? "OCO: the other bracket leg filled" : "bracket entry ended without a fill", out);
        continue;
      }
      const qty = leg.order.filledQty + open;
      const activating = leg.order.status === "pending_parent";
      if (!activating && Math.abs(qty - leg.order.qty) <= EPS) continue;
      if (activating) {
        leg.barsFrom = legsFrom;
        leg.tradesFrom = ts + 1n;
      }
      this.update(
        leg,
        { qty, ...(activating ? { status: "accepted" as const } : {}) },
        ts,
        activating ? `bracket entry ${entryId} filled: leg active` : undefined,
      );
      out.push({ type: "order", order: leg.order });
    }
    if (g.entryDone && legs.every((l) => isTerminal(l.order))) delete this.s.brackets[entryId];
  }

  private finish(w: WorkingOrder, status: "cancelled" | "expired" | "filled", ts: bigint, reason: string, out: EngineEvent[], qty?: number): void {
    this.update(w, { status, ...(qty !== undefined ? { qty } : {}) }, ts, reason);
    out.push({ type: "order", order: w.order });
  }

  private cancelIoc(w: WorkingOrder, ts: bigint, out: EngineEvent[]): void {
    if (isTerminal(w.order)) return;
    this.finish(w, "cancelled", ts, `IOC: unfilled ${w.order.qty - w.order.filledQty} cancelled`, out);
  }

  /** Replaces the order snapshot (emitted snapshots are never mutated). */
  private update(w: WorkingOrder, patch: Partial<Order>, ts: bigint, reason?: string): void {
    const { reason: _old, ...rest } = w.order;
    w.order = { ...rest, ...patch, tsEvent: ts, ...(reason !== undefined ? { reason } : {}) };
  }

  private compact(): void {
    if (this.s.working.some((w) => isTerminal(w.order))) this.s.working = this.s.working.filter((w) => !isTerminal(w.order));
  }
}
