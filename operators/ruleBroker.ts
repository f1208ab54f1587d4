// ruleBroker: bars × feature rows → PaperBroker events, with strategy rules (data) deciding on each row.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { PaperBrokerConfig } from "../trading/PaperBroker.ts";
import { RuleStrategy, type RuleStrategyState } from "../trading/RuleStrategy.ts";
import type { StrategyRules } from "../trading/strategyRules.ts";
import { paperBroker } from "./paperBroker.ts";

export interface RuleBrokerOptions {
  readonly broker: PaperBrokerConfig;
  /** Parsed rules (`parseStrategyRules`); each subscription gets its own RuleStrategy over them (checkpointed with the broker). */
  readonly rules: StrategyRules;
  /** Receives a bar or row that arrived behind the broker's watermark. */
  readonly onLate?: (item: Bar | FeatureRow, reason: string) => void;
  /** Receives a row whose symbol has no bar at or before it: nothing to price or size an order with, so no order. */
  readonly onNoBar: (row: FeatureRow, reason: string) => void;
}

/**
 * A `paperBroker` whose strategy is a RuleStrategy: each feature row, with the OHLCV of its symbol's latest bar
 * beneath its own values, is evaluated by the rules, and a change of side becomes a target position. Orders are
 * stamped with the row's time, never an earlier bar's. The broker and the strategy's memory (sides, previous rows)
 * are the operator's declared state, so a resumed run trades exactly as an uninterrupted one.
 *
 * @example
 * ruleBroker(bars$, rows$, { broker: { startingCash: 1e5, policy: NEXT_OPEN }, rules: parseStrategyRules(yamlRules),
 *   onNoBar: (row, why) => dlq(row, why) })
 * @param bars$ bars the broker fills and marks on
 * @param rows$ feature rows the rules decide on
 * @param options broker configuration, rules, and the late-item and no-bar handlers
 */
export function ruleBroker(bars$: Observable<Chunk<Bar>>, rows$: Observable<Chunk<FeatureRow>>, options: RuleBrokerOptions): Observable<Chunk<BrokerEvent>> {
  const { rules, onLate, onNoBar } = options;
  return paperBroker(bars$, rows$, {
    broker: options.broker,
    onLate: onLate && ((item, _side, reason) => onLate(item, reason)),
    strategy: (saved?: RuleStrategyState) => {
      const strategy = saved ? RuleStrategy.fromState(rules, saved) : new RuleStrategy(rules);
      return {
        decide(row, broker, bar) {
          if (!bar) {
            onNoBar(row, `no ${row.symbol} bar at or before this feature row: nothing to price or size the order with (is the symbol in the bars input?)`);
            return [];
          }
          return strategy.onBar(bar.tsEvent === row.tsEvent ? bar : { ...bar, tsEvent: row.tsEvent }, row.values, broker);
        },
        toState: () => strategy.toState(),
        beforeBar: (bar, broker) => strategy.beforeBar(bar, broker),
        atEnd: (broker) => strategy.atEnd(broker),
      };
    },
  });
}
