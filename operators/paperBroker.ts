// paperBroker: bars × decisions (feature rows or signals) → PaperBroker events, one broker per subscription.
// The same operator runs live and in replay; its only clock is the event time of its inputs. The broker and the
// strategy are its declared state (saved as their toState()), so a checkpointed run resumes exactly.
import type { Observable } from "rxjs";
import { WATERMARK_END, type Chunk } from "../core/chunk.ts";
import { mergeByWatermark } from "../core/mergeByWatermark.ts";
import type { StateSpec } from "../core/state.ts";
import type { Bar } from "../schemas/bar.ts";
import { PaperBroker, type PaperBrokerConfig, type PaperBrokerState } from "../trading/PaperBroker.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";

export interface Decision {
  readonly symbol: string;
  readonly tsEvent: bigint;
}

/** The strategy of one subscription: acts on decisions, and says what it remembers as plain data `S` (checkpoints). */
export interface BrokerStrategy<D extends Decision, S> {
  /** Acts on one decision item; `lastBar` is the symbol's latest bar at or before the decision. */
  decide(decision: D, broker: PaperBroker, lastBar: Bar | undefined): BrokerEvent[];
  /** What the strategy remembers, as plain data (bigints, Maps allowed: core/stateCodec.ts). */
  toState(): S;
  /** Called with each bar before the broker fills and marks on it (orders sized at the fill are sent here). */
  beforeBar?(bar: Bar, broker: PaperBroker): BrokerEvent[];
  /** Called once when both inputs have ended (a replay's end): e.g. close the open positions. */
  atEnd?(broker: PaperBroker): BrokerEvent[];
}

export interface PaperBrokerOptions<D extends Decision, S> {
  readonly broker: PaperBrokerConfig;
  /** Creates the strategy of one subscription (one run): fresh, or continuing from what its `toState()` returned. */
  readonly strategy: (saved?: S) => BrokerStrategy<D, S>;
  /** Receives a bar or decision that arrived behind the broker's watermark (side output). */
  readonly onLate?: (item: Bar | D, side: "left" | "right", reason: string) => void;
}

/** The declared state of one subscription: the broker and the strategy (class instances, saved as plain data). */
interface BrokerCell<D extends Decision, S> {
  broker: PaperBroker;
  strategy: BrokerStrategy<D, S>;
}

/** What a checkpoint holds for a paperBroker subscription. */
export interface PaperBrokerSaved<S> {
  broker: PaperBrokerState;
  strategy: S;
}

/**
 * Drives a PaperBroker from two event-time ordered inputs. Both are buffered until the smaller of their
 * watermarks passes them, then handled in event-time order with bars first at equal times: every working order
 * is matched against the bar and the account marked to it before any decision of that time is taken, and a
 * decision's orders are stamped with its event time, so (under next_open) they fill on a later bar only.
 * Because handling waits for both watermarks, the events do not depend on how either input was batched.
 * The broker and the strategy are declared state ("paperBroker": `PaperBrokerSaved`), checkpointed and restored
 * through `PaperBroker.toState/fromState` and the strategy's `toState` / `strategy(saved)`.
 *
 * @example
 * paperBroker(bars$, rows$, { broker: { startingCash: 1e5, policy: NEXT_OPEN },
 *   strategy: (saved) => { const s = saved ? RuleStrategy.fromState(rules, saved) : new RuleStrategy(rules);
 *     return { decide: (row, broker, bar) => s.onBar(bar!, row.values, broker), toState: () => s.toState() }; } })
 * @param bars$ bars the broker fills and marks on
 * @param decisions$ what the strategy acts on (feature rows, signals)
 */
export function paperBroker<D extends Decision, S>(
  bars$: Observable<Chunk<Bar>>,
  decisions$: Observable<Chunk<D>>,
  options: PaperBrokerOptions<D, S>,
): Observable<Chunk<BrokerEvent>> {
  const spec: StateSpec<BrokerCell<D, S>> = {
    name: "paperBroker",
    version: 1,
    init: () => ({ broker: new PaperBroker(options.broker), strategy: options.strategy() }),
    save: (s): PaperBrokerSaved<S> => ({ broker: s.broker.toState(), strategy: s.strategy.toState() }),
    load: (data) => {
      const d = data as PaperBrokerSaved<S>;
      return { broker: PaperBroker.fromState(options.broker, d.broker), strategy: options.strategy(d.strategy) };
    },
  };
  return mergeByWatermark<Bar, D, BrokerEvent, BrokerCell<D, S>>(
    bars$,
    decisions$,
    { first: "left", onLate: options.onLate },
    (state) => ({
      onLeft(bar, out) {
        if (state.strategy.beforeBar) for (const e of state.strategy.beforeBar(bar, state.broker)) out.push(e);
        for (const e of state.broker.onBar(bar)) out.push(e);
      },
      onRight(decision, out) {
        for (const e of state.strategy.decide(decision, state.broker, state.broker.lastBar(decision.symbol))) out.push(e);
      },
      onWatermark(w, out) {
        if (w === WATERMARK_END && state.strategy.atEnd) for (const e of state.strategy.atEnd(state.broker)) out.push(e);
      },
    }),
    spec,
  );
}
