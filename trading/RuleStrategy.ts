// RuleStrategy: turns a rule set's wanted side into a target position (via the sizing rule) and the target into
// orders on a PaperBroker. Call broker.onBar(bar) first, then strategy.onBar(bar, row, broker): the order is
// stamped bar.tsEvent, so under next_open it can only fill on the following bar. What it remembers between bars
// is plain data for checkpoints (toState / fromState).
import type { Bar } from "../schemas/bar.ts";
import type { Signal } from "../schemas/signal.ts";
import type { PaperBroker } from "./PaperBroker.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import { RuleEvaluator, parseStrategyRules, type Row, type RuleEvaluatorState, type Side, type StrategyRules } from "./strategyRules.ts";
import { isFractional, sizesAtFill, unitsFor } from "./sizing.ts";

/** What a RuleStrategy remembers, as plain data: the side it traded to per symbol, and its rule evaluator's state. */
export interface RuleStrategyState {
  /** The side last turned into a target position, per symbol (absent: flat). */
  sides: Record<string, Side>;
  /** The evaluator's previous row and wanted side per symbol. */
  evaluator: RuleEvaluatorState;
  /** Sizing at the fill: sides decided but not yet sized, per symbol, with the decision's time (the order's time). */
  pending?: Record<string, PendingSide>;
}

/** A side decided on a bar and sized when its order fills: the decision's time and the volatility it saw. */
interface PendingSide {
  side: Side;
  tsEvent: bigint;
  volatility?: number | undefined;
  /** The side was held and its enter rule fired again (reentry: reopen): close, then open afresh. */
  reopen?: boolean;
}

export class RuleStrategy {
  readonly rules: StrategyRules;
  private readonly evaluator: RuleEvaluator;
  private sides: Record<string, Side> = {};
  private pending: Record<string, PendingSide> = {};

  constructor(rules: StrategyRules | unknown) {
    this.rules = parseStrategyRules(rules, "strategy");
    this.evaluator = new RuleEvaluator(this.rules);
  }

  /** A copy of what the strategy remembers. `RuleStrategy.fromState(rules, s.toState())` continues exactly as `s`. */
  toState(): RuleStrategyState {
    return { sides: { ...this.sides }, evaluator: this.evaluator.toState(), pending: structuredClone(this.pending) };
  }

  /** A strategy over `rules` that continues from `state` (what `toState()` returned for the same rules). */
  static fromState(rules: StrategyRules | unknown, state: RuleStrategyState): RuleStrategy {
    const s = new RuleStrategy(rules);
    s.sides = { ...state.sides };
    s.pending = structuredClone(state.pending ?? {});
    s.evaluator.fromState(state.evaluator);
    return s;
  }

  /** Evaluates the bar's row (bar OHLCV fields are added as open/high/low/close/volume) and trades on a change of side. */
  onBar(bar: Bar, row: Row, broker: PaperBroker): BrokerEvent[] {
    const full: Row = { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, ...row };
    const side = this.evaluator.next(bar.symbol, full);
    return this.trade(bar.symbol, side, full, bar.tsEvent, broker, this.evaluator.reentered);
  }

  /** Trades a signal from elsewhere (buy = long, sell = short or flat when long_only, flat = flat). */
  onSignal(signal: Signal, row: Row, broker: PaperBroker): BrokerEvent[] {
    return this.trade(signal.symbol, sideOfSignal(signal, this.rules.direction), row, signal.tsEvent, broker);
  }

  /**
   * Call before `broker.onBar(bar)`: a side decided on an earlier bar and sized at the fill is sized now, at the
   * price this bar fills a market order at and the equity after closing the previous position there, and sent
   * with the decision's time, so it fills on this bar exactly as an order sent then would.
   */
  beforeBar(bar: Bar, broker: PaperBroker): BrokerEvent[] {
    const p = this.pending[bar.symbol];
    if (!p || bar.tsOpen < p.tsEvent) return [];
    delete this.pending[bar.symbol];
    return this.sizeAtFill(bar.symbol, p, bar, broker);
  }

  /** At the end of the input: closes open positions if the rules say `closeAtEnd` (decided-but-unsized sides lapse). */
  atEnd(broker: PaperBroker): BrokerEvent[] {
    this.pending = {};
    return this.rules.closeAtEnd ? broker.closeAll(this.rules.closeAtEnd, this.rules.name) : [];
  }

  /** Trades to `side`; `reopen`: the side is held and its enter rule fired again, so close and open afresh. */
  private trade(symbol: string, side: Side, row: Row, ts: bigint, broker: PaperBroker, reopen = false): BrokerEvent[] {
    if ((this.sides[symbol] ?? 0) === side && !(reopen && side !== 0)) return [];
    const sizing = this.rules.sizing;
    const fractional = isFractional(sizing);
    if (side !== 0 && sizesAtFill(sizing)) {
      this.sides[symbol] = side;
      const p: PendingSide = { side, tsEvent: ts, volatility: sizing.kind === "volatility_target" ? row[sizing.volatility] : undefined, reopen };
      // Under signal_close the fill is now, at the close; under next_open it is the next bar's open (beforeBar).
      if (broker.policy.onBars === "signal_close") return this.sizeAtFill(symbol, p, undefined, broker);
      this.pending[symbol] = p;
      return [];
    }
    delete this.pending[symbol];
    const inst = broker.instrument(symbol);
    const units =
      side === 0
        ? 0
        : unitsFor(sizing, {
            price: row[this.rules.price] ?? NaN,
            equity: broker.equity(),
            multiplier: inst.multiplier,
            lotSize: inst.lotSize,
            volatility: sizing.kind === "volatility_target" ? row[sizing.volatility] : undefined,
          });
    // A side we cannot size yet (e.g. volatility still warming up) is not taken; it is re-evaluated next bar.
    if (side !== 0 && units === 0) return [];
    this.sides[symbol] = side;
    const close = reopen ? broker.setTarget(symbol, 0, ts, this.rules.name, { fractional }) : [];
    return [...close, ...broker.setTarget(symbol, side * units, ts, this.rules.name, { fractional })];
  }

  private sizeAtFill(symbol: string, { side, tsEvent: ts, volatility, reopen }: PendingSide, bar: Bar | undefined, broker: PaperBroker): BrokerEvent[] {
    const sizing = this.rules.sizing;
    const inst = broker.instrument(symbol);
    const price = broker.marketFillPrice(symbol, side > 0 ? "buy" : "sell", bar);
    if (price === undefined) return [];
    const c = inst.commission;
    const units = unitsFor(sizing, {
      price,
      equity: broker.equityAfterClosing(symbol, price),
      multiplier: inst.multiplier,
      lotSize: inst.lotSize,
      costPerUnit: c.perUnit + (c.percent / 100) * price * inst.multiplier,
      volatility,
    });
    // Nothing affordable at the fill: the side is not taken (as backtesting.py drops an order it cannot size).
    const opts = { fractional: isFractional(sizing), valueAt: price };
    if (units === 0) {
      this.sides[symbol] = 0;
      return broker.setTarget(symbol, 0, ts, this.rules.name, opts);
    }
    const close = reopen ? broker.setTarget(symbol, 0, ts, this.rules.name, opts) : [];
    return [...close, ...broker.setTarget(symbol, side * units, ts, this.rules.name, opts)];
  }
}

export function sideOfSignal(s: Pick<Signal, "action">, direction: StrategyRules["direction"]): Side {
  if (s.action === "buy") return 1;
  if (s.action === "sell") return direction === "long_short" ? -1 : 0;
  return 0;
}
