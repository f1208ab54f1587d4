// RuleStrategy: turns a rule set's wanted side into a target position (via the sizing rule) and the target into
// orders on a PaperBroker. Call broker.onBar(bar) first, then strategy.onBar(bar, row, broker): the order is
// stamped bar.tsEvent, so under next_open it can only fill on the following bar. What it remembers between bars
// is plain data for checkpoints (toState / fromState).
import type { Bar } from "../schemas/bar.ts";
import type { Signal } from "../schemas/signal.ts";
import type { PaperBroker } from "./PaperBroker.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import { RuleEvaluator, parseStrategyRules, type Row, type RuleEvaluatorState, type Side, type StrategyRules } from "./strategyRules.ts";
import { unitsFor } from "./sizing.ts";

/** What a RuleStrategy remembers, as plain data: the side it traded to per symbol, and its rule evaluator's state. */
export interface RuleStrategyState {
  /** The side last turned into a target position, per symbol (absent: flat). */
  sides: Record<string, Side>;
  /** The evaluator's previous row and wanted side per symbol. */
  evaluator: RuleEvaluatorState;
}

export class RuleStrategy {
  readonly rules: StrategyRules;
  private readonly evaluator: RuleEvaluator;
  private sides: Record<string, Side> = {};

  constructor(rules: StrategyRules | unknown) {
    this.rules = parseStrategyRules(rules, "strategy");
    this.evaluator = new RuleEvaluator(this.rules);
  }

  /** A copy of what the strategy remembers. `RuleStrategy.fromState(rules, s.toState())` continues exactly as `s`. */
  toState(): RuleStrategyState {
    return { sides: { ...this.sides }, evaluator: this.evaluator.toState() };
  }

  /** A strategy over `rules` that continues from `state` (what `toState()` returned for the same rules). */
  static fromState(rules: StrategyRules | unknown, state: RuleStrategyState): RuleStrategy {
    const s = new RuleStrategy(rules);
    s.sides = { ...state.sides };
    s.evaluator.fromState(state.evaluator);
    return s;
  }

  /** Evaluates the bar's row (bar OHLCV fields are added as open/high/low/close/volume) and trades on a change of side. */
  onBar(bar: Bar, row: Row, broker: PaperBroker): BrokerEvent[] {
    const full: Row = { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, ...row };
    const side = this.evaluator.next(bar.symbol, full);
    return this.trade(bar.symbol, side, full, bar.tsEvent, broker);
  }

  /** Trades a signal from elsewhere (buy = long, sell = short or flat when long_only, flat = flat). */
  onSignal(signal: Signal, row: Row, broker: PaperBroker): BrokerEvent[] {
    return this.trade(signal.symbol, sideOfSignal(signal, this.rules.direction), row, signal.tsEvent, broker);
  }

  private trade(symbol: string, side: Side, row: Row, ts: bigint, broker: PaperBroker): BrokerEvent[] {
    if ((this.sides[symbol] ?? 0) === side) return [];
    const inst = broker.instrument(symbol);
    const sizing = this.rules.sizing;
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
    return broker.setTarget(symbol, side * units, ts, this.rules.name);
  }
}

export function sideOfSignal(s: Pick<Signal, "action">, direction: StrategyRules["direction"]): Side {
  if (s.action === "buy") return 1;
  if (s.action === "sell") return direction === "long_short" ? -1 : 0;
  return 0;
}
