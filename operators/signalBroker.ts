// signalBroker: bars × signals → PaperBroker events; buy/sell/flat signals become target positions sized by a rule.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import type { Signal } from "../schemas/signal.ts";
import type { PaperBrokerConfig } from "../trading/PaperBroker.ts";
import { RuleStrategy, type RuleStrategyState } from "../trading/RuleStrategy.ts";
import type { Sizing } from "../trading/sizing.ts";
import { parseStrategyRules, type Row, type StrategyRules } from "../trading/strategyRules.ts";
import { paperBroker } from "./paperBroker.ts";

/** How signals become positions: the strategy name (order id prefix), long_only or long_short, sizing, sizing price. */
export interface SignalStrategy {
  readonly name: string;
  readonly direction: "long_only" | "long_short";
  readonly sizing: Sizing;
  /** Row value used as the sizing price: a field of the latest bar or a numeric input of the signal. */
  readonly price: string;
}

/**
 * A signal strategy as rules: buy → long; sell → short (long_short) or flat (long_only); flat → flat.
 *
 * @example
 * signalStrategyRules({ name: "momentum", direction: "long_only", sizing: { kind: "fixed_units", units: 100 }, price: "close" })
 * @param s the signal strategy
 */
export function signalStrategyRules(s: SignalStrategy): StrategyRules {
  const long = { above: ["signal", 0] };
  const short = { below: ["signal", 0] };
  const flat = { when: "signal == 0" };
  return parseStrategyRules(
    s.direction === "long_only"
      ? { ...s, enterLong: long, exitLong: { any: [short, flat] } }
      : { ...s, enterLong: long, enterShort: short, exitLong: flat, exitShort: flat },
    "signalBroker.strategy",
  );
}

export interface SignalBrokerOptions {
  readonly broker: PaperBrokerConfig;
  /** The strategy as rules (`signalStrategyRules`); each subscription gets its own RuleStrategy over them (checkpointed with the broker). */
  readonly rules: StrategyRules;
  /** Receives a bar or signal that arrived behind the broker's watermark. */
  readonly onLate?: (item: Bar | Signal, reason: string) => void;
  /** Receives a signal whose symbol has no bar at or before it: nothing to price or size an order with, so no order. */
  readonly onNoBar: (signal: Signal, reason: string) => void;
}

/**
 * A `paperBroker` trading signals: each signal's side (RuleStrategy.onSignal) becomes a target position, sized
 * from a row of the signal's numeric inputs overlaid with the latest bar's open/high/low/close/volume. The broker and
 * the side held per symbol are the operator's declared state, so a resumed run trades exactly as an uninterrupted one.
 *
 * @example
 * signalBroker(bars$, signals$, { broker: { startingCash: 1e5, policy: NEXT_OPEN },
 *   rules: signalStrategyRules({ name: "m", direction: "long_only", sizing: { kind: "percent_equity", percent: 20 }, price: "close" }),
 *   onNoBar: (s, why) => dlq(s, why) })
 * @param bars$ bars the broker fills and marks on
 * @param signals$ the signals to trade
 * @param options broker configuration, rules, and the late-item and no-bar handlers
 */
export function signalBroker(bars$: Observable<Chunk<Bar>>, signals$: Observable<Chunk<Signal>>, options: SignalBrokerOptions): Observable<Chunk<BrokerEvent>> {
  const { rules, onLate, onNoBar } = options;
  return paperBroker(bars$, signals$, {
    broker: options.broker,
    onLate: onLate && ((item, _side, reason) => onLate(item, reason)),
    strategy: (saved?: RuleStrategyState) => {
      const strategy = saved ? RuleStrategy.fromState(rules, saved) : new RuleStrategy(rules);
      return {
        decide(signal, broker, bar) {
          if (!bar) {
            onNoBar(signal, `no ${signal.symbol} bar at or before this signal: nothing to price or size the order with (is the symbol in the bars input?)`);
            return [];
          }
          const row: Record<string, number | undefined> = {};
          for (const [k, v] of Object.entries(signal.inputs)) if (typeof v === "number") row[k] = v;
          Object.assign(row, { open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
          return strategy.onSignal(signal, row as Row, broker);
        },
        toState: () => strategy.toState(),
        beforeBar: (bar, broker) => strategy.beforeBar(bar, broker),
        atEnd: (broker) => strategy.atEnd(broker),
      };
    },
  });
}
