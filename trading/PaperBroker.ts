// PaperBroker: orders in, market data in (event-time order), a deterministic list of events out. Composes the
// MatchingEngine (fills), Portfolio (positions, P&L) and RiskGuard (pre-trade checks, kill switch).
// Pure and synchronous: no clock, no I/O; what it remembers is plain data for checkpoints (toState / fromState).
import type { Bar } from "../schemas/bar.ts";
import type { Trade } from "../schemas/trade.ts";
import type { Order } from "../schemas/order.ts";
import { fillPolicy, sessionDay, slipped, type FillPolicy, type FillPolicyInput } from "./fillPolicy.ts";
import { commissionFor, InstrumentSchema, isMargined, type Commission, type Instrument, type InstrumentInput } from "./instrument.ts";
import type { BrokerEvent, EngineEvent } from "../schemas/brokerEvent.ts";
import { MatchingEngine, type MatchingEngineState, type ReplaceChanges } from "./MatchingEngine.ts";
import { Portfolio, type ClosedTrade, type PortfolioState } from "./Portfolio.ts";
import { AccountSchema, RiskGuard, RiskLimitsSchema, type AccountInput, type RiskGuardState, type RiskLimits } from "./RiskGuard.ts";
import { rejectedOrder, type OrderRequest } from "./orderRequest.ts";
import { FRACTIONAL_STEP } from "./sizing.ts";

export interface PaperBrokerConfig {
  /** Account name on snapshots. Default "paper". */
  readonly account?: string;
  readonly startingCash: number;
  readonly policy: FillPolicy | FillPolicyInput;
  /** Instruments that are not plain shares with `defaultCommission`. */
  readonly instruments?: readonly InstrumentInput[];
  /** Commission for symbols not listed in `instruments`. Default none. */
  readonly defaultCommission?: Partial<Commission>;
  readonly risk?: RiskLimits;
  /** Cash or margin account (the buying-power check). Default: none here; pipeline broker nodes default to margin, leverage 2. */
  readonly accountType?: AccountInput;
  /**
   * "every_event" (default): after each bar or trade, the symbol's position and the account equity.
   * "on_fill": only after events that filled something (and after kill-switch changes).
   */
  readonly snapshots?: "every_event" | "on_fill";
}

/**
 * Everything a PaperBroker remembers between events, as plain data (bigints included): working orders and brackets,
 * positions, cash and trades, the risk guard's counters and kill switch, and the order id counter. The
 * configuration is not in it: `PaperBroker.fromState(config, state)` takes both.
 */
export interface PaperBrokerState {
  engine: MatchingEngineState;
  portfolio: PortfolioState;
  risk: RiskGuardState;
  orderSeq: number;
}

export class PaperBroker {
  readonly policy: FillPolicy;
  readonly account: string;
  private readonly instruments = new Map<string, Instrument>();
  private readonly engine: MatchingEngine;
  private readonly portfolio: Portfolio;
  private readonly risk: RiskGuard;
  private orderSeq: number;

  constructor(
    private readonly config: PaperBrokerConfig,
    state?: PaperBrokerState,
  ) {
    this.policy = fillPolicy(config.policy);
    this.account = config.account ?? "paper";
    for (const i of config.instruments ?? []) this.instruments.set(i.symbol, InstrumentSchema.parse(i));
    const instrumentOf = (s: string): Instrument => this.instrument(s);
    this.engine = new MatchingEngine(this.policy, instrumentOf, state?.engine);
    this.portfolio = new Portfolio(this.account, config.startingCash, instrumentOf, state?.portfolio);
    this.risk = new RiskGuard(
      RiskLimitsSchema.parse(config.risk ?? {}),
      config.startingCash,
      state?.risk,
      config.accountType && AccountSchema.parse(config.accountType),
    );
    this.orderSeq = state?.orderSeq ?? 0;
  }

  /**
   * A copy of the broker's state, plain data (bigints included: store it with core/stateCodec.ts or structuredClone).
   * `PaperBroker.fromState(config, broker.toState())` continues exactly as `broker` would.
   */
  toState(): PaperBrokerState {
    return { engine: this.engine.toState(), portfolio: this.portfolio.toState(), risk: this.risk.toState(), orderSeq: this.orderSeq };
  }

  /** A broker with `config` that continues from `state` (what `toState()` returned under the same config). */
  static fromState(config: PaperBrokerConfig, state: PaperBrokerState): PaperBroker {
    return new PaperBroker(config, state);
  }

  instrument(symbol: string): Instrument {
    let i = this.instruments.get(symbol);
    if (!i) {
      i = InstrumentSchema.parse({ symbol, commission: { ...this.config.defaultCommission } });
      this.instruments.set(symbol, i);
    }
    return i;
  }

  /** The latest bar of `symbol` the broker has seen (onBar), if any. */
  lastBar(symbol: string): Bar | undefined {
    return this.engine.lastBar(symbol);
  }

  position(symbol: string): number {
    return this.portfolio.position(symbol);
  }
  equity(): number {
    return this.portfolio.equity();
  }
  get cash(): number {
    return this.portfolio.cash;
  }
  get closedTrades(): readonly ClosedTrade[] {
    return this.portfolio.closedTrades;
  }
  get killSwitch(): { since: bigint; reason: string } | undefined {
    return this.risk.killed;
  }
  openOrders(symbol?: string): Order[] {
    return this.engine.openOrders(symbol);
  }

  /**
   * Validates, risk-checks and (if accepted) places an order. A rejection is an order event with the reason.
   * `valueAt` is the price the risk checks value it at (default: the symbol's last mark).
   */
  submit(r: OrderRequest, valueAt?: number): BrokerEvent[] {
    const strategy = r.strategy ?? "manual";
    const id = `${strategy}:${r.symbol}:${r.tsEvent}:${this.orderSeq++}`;
    const problem = this.engine.problem(r) ?? this.risk.check(this.riskContext(r, valueAt));
    if (problem) return [{ type: "order", order: rejectedOrder(r, id, problem) }];
    this.risk.recordOrder(r.tsEvent);
    return this.afterFills(this.engine.submit(r, id), r.symbol, r.tsEvent, false);
  }

  /**
   * Trades towards a target signed position with one market order for the difference between the target and
   * the position plus this strategy's working (non-bracket) orders. Crossing zero is one order and one fill;
   * the portfolio books it as a close and an open.
   */
  setTarget(symbol: string, target: number, tsEvent: bigint, strategy = "manual", opts: { fractional?: boolean; valueAt?: number } = {}): BrokerEvent[] {
    let current = this.portfolio.position(symbol);
    for (const o of this.engine.openOrders(symbol)) {
      if (o.strategy === strategy && o.parentId === undefined) current += (o.side === "buy" ? 1 : -1) * (o.qty - o.filledQty);
    }
    const diff = target - current;
    const step = opts.fractional ? FRACTIONAL_STEP : this.instrument(symbol).lotSize;
    if (Math.abs(diff) < step - 1e-12) return [];
    const qty = opts.fractional ? Math.round(Math.abs(diff) / FRACTIONAL_STEP) * FRACTIONAL_STEP : Math.abs(diff);
    return this.submit(
      { strategy, symbol, side: diff > 0 ? "buy" : "sell", orderType: "market", qty, tsEvent, ...(opts.fractional ? { fractional: true } : {}) },
      opts.valueAt,
    );
  }

  /**
   * Where a market order in `symbol` sent now would fill on `bar` (the next bar under next_open: its open; under
   * signal_close: the close of the symbol's latest bar), slippage included. Undefined when there is no price.
   */
  marketFillPrice(symbol: string, side: "buy" | "sell", bar: Bar | undefined): number | undefined {
    const ref = this.policy.onBars === "next_open" ? bar?.open : this.engine.lastBar(symbol)?.close;
    if (ref === undefined) return undefined;
    const p = slipped(this.policy, ref, side, this.instrument(symbol).tickSize);
    return bar ? Math.min(Math.max(p, bar.low), bar.high) : p;
  }

  /**
   * The account's equity if `symbol`'s position were closed at `price` now, commission of that close included:
   * what a strategy sizing at the fill has to spend after closing the previous position.
   */
  equityAfterClosing(symbol: string, price: number): number {
    const q = this.portfolio.position(symbol);
    if (q === 0) return this.portfolio.equity();
    const inst = this.instrument(symbol);
    const mark = this.portfolio.markPrice(symbol) ?? price;
    return this.portfolio.equity() + q * (price - mark) * inst.multiplier - commissionFor(inst, Math.abs(q), price, true);
  }

  /**
   * Ends the run's open positions: cancels working orders and closes every position with a market order filled at
   * the open or the close of the symbol's latest bar (slippage and commission as usual). For backtests that
   * report the open trade as closed (backtesting.py's finalize_trades, backtrader's close at the end).
   */
  closeAll(at: "open" | "close", strategy: string): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    const symbols = this.portfolio.symbols().filter((s) => this.portfolio.position(s) !== 0 && this.engine.lastBar(s));
    if (symbols.length === 0) return out;
    const last = symbols.reduce((m, s) => (this.engine.lastBar(s)!.tsEvent > m ? this.engine.lastBar(s)!.tsEvent : m), 0n);
    out.push(...this.engine.cancelAll(last, "end of run: open positions closed"));
    for (const symbol of symbols) {
      const q = this.portfolio.position(symbol);
      const ts = this.engine.lastBar(symbol)!.tsEvent;
      const id = `${strategy}:${symbol}:${ts}:${this.orderSeq++}`;
      const events = this.engine.fillAtLastBar(
        { strategy, symbol, side: q > 0 ? "sell" : "buy", orderType: "market", qty: Math.abs(q), tsEvent: ts, fractional: true },
        id,
        at,
      );
      out.push(...this.afterFills(events, symbol, ts, false));
    }
    return out;
  }

  /** Cancels a working order (a bracket entry's unfilled legs go with it). A string says why nothing changed. */
  cancel(orderId: string, tsEvent: bigint): BrokerEvent[] | string {
    return this.engine.cancel(orderId, tsEvent);
  }

  /** Replaces quantity/prices of a working order, which then counts as sent at tsEvent. A string says why nothing changed. */
  replace(orderId: string, changes: ReplaceChanges, tsEvent: bigint): BrokerEvent[] | string {
    return this.engine.replace(orderId, changes, tsEvent);
  }

  onBar(bar: Bar): BrokerEvent[] {
    const out = this.afterFills(this.engine.onBar(bar), bar.symbol, bar.tsEvent, true, bar.close);
    this.checkKillSwitch(bar.tsEvent, out);
    return out;
  }

  onTrade(t: Trade): BrokerEvent[] {
    const out = this.afterFills(this.engine.onTrade(t), t.symbol, t.tsEvent, true, t.price);
    this.checkKillSwitch(t.tsEvent, out);
    return out;
  }

  /** Turns the kill switch off (trading resumes with the next order). */
  reset(tsEvent: bigint): BrokerEvent[] {
    if (!this.risk.killed) return [];
    this.risk.reset();
    const equity = this.portfolio.equity();
    return [
      {
        type: "orderEvent",
        event: {
          id: `${this.account}:kill_switch_reset:${tsEvent}`,
          account: this.account,
          tsEvent,
          kind: "kill_switch_reset",
          reason: "reset() called",
          equity,
        },
      },
    ];
  }

  // --- internals -------------------------------------------------------------------------------------------

  private afterFills(events: EngineEvent[], symbol: string, ts: bigint, marketEvent: boolean, mark?: number): BrokerEvent[] {
    let filled = false;
    for (const e of events) {
      if (e.type === "fill") {
        this.portfolio.applyFill(e.fill);
        filled = true;
      }
    }
    if (mark !== undefined) this.portfolio.mark(symbol, mark);
    const out: BrokerEvent[] = events;
    if (filled || (marketEvent && this.config.snapshots !== "on_fill")) {
      out.push({ type: "position", position: this.portfolio.positionSnapshot(symbol, ts) });
      out.push({ type: "equity", equity: this.portfolio.equitySnapshot(ts) });
    }
    return out;
  }

  private checkKillSwitch(ts: bigint, out: BrokerEvent[]): void {
    const equity = this.portfolio.equity();
    const reason = this.risk.onEquity(ts, sessionDay(this.policy, ts), equity);
    if (!reason) return;
    out.push({
      type: "orderEvent",
      event: { id: `${this.account}:kill_switch_tripped:${ts}`, account: this.account, tsEvent: ts, kind: "kill_switch_tripped", reason, equity },
    });
    out.push(...this.engine.cancelAll(ts, `kill switch: ${reason}`));
    // Flattening orders bypass the (now closed) risk gate: they only reduce.
    for (const symbol of this.portfolio.symbols()) {
      const q = this.portfolio.position(symbol);
      if (q === 0) continue;
      const id = `risk:${symbol}:${ts}:${this.orderSeq++}`;
      const events = this.engine.submit({ strategy: "risk", symbol, side: q > 0 ? "sell" : "buy", orderType: "market", qty: Math.abs(q), tsEvent: ts }, id);
      out.push(...this.afterFills(events, symbol, ts, false));
    }
  }

  private riskContext(r: OrderRequest, valueAt: number | undefined) {
    const inst = this.instrument(r.symbol);
    let pending = 0;
    for (const o of this.engine.openOrders(r.symbol)) if (o.parentId === undefined) pending += (o.side === "buy" ? 1 : -1) * (o.qty - o.filledQty);
    let reservedCash = 0;
    for (const o of this.engine.openOrders()) {
      const i = this.instrument(o.symbol);
      if (o.parentId !== undefined || o.side !== "buy" || isMargined(i)) continue;
      reservedCash += (o.qty - o.filledQty) * (this.portfolio.markPrice(o.symbol) ?? o.limitPrice ?? o.stopPrice ?? 0) * i.multiplier;
    }
    const mark = this.portfolio.markPrice(r.symbol);
    const price = valueAt ?? mark ?? r.limitPrice ?? r.stopPrice;
    const position = this.portfolio.position(r.symbol);
    // Valued at another price than the mark (the fill price of an order sized at the fill): the account revalued there.
    const moved = valueAt !== undefined && mark !== undefined ? position * (valueAt - mark) * inst.multiplier : 0;
    const markedValue = mark === undefined ? 0 : Math.abs(position * mark * inst.multiplier);
    return {
      symbol: r.symbol,
      side: r.side,
      qty: r.qty,
      tsEvent: r.tsEvent,
      position: this.portfolio.position(r.symbol),
      pending,
      price,
      multiplier: inst.multiplier,
      grossExposure: this.portfolio.grossExposure() - markedValue + (price === undefined ? markedValue : Math.abs(position * price * inst.multiplier)),
      initialMargin: inst.initialMargin,
      marginUsed: this.portfolio.marginUsed(),
      equity: this.portfolio.equity() + moved,
      cash: this.portfolio.cash,
      reservedCash,
      commission: price === undefined ? 0 : commissionFor(inst, r.qty, price, true),
    };
  }
}
