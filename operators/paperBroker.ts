// paperBroker: bars × decisions (feature rows or signals) → PaperBroker events, one broker per subscription.
// The same operator runs live and in replay; its only clock is the event time of its inputs.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { mergeByWatermark } from "../core/mergeByWatermark.ts";
import type { Bar } from "../schemas/bar.ts";
import { PaperBroker, type PaperBrokerConfig } from "../trading/PaperBroker.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";

export interface Decision {
  readonly symbol: string;
  readonly tsEvent: bigint;
}

/** Acts on one decision item; `lastBar` is the symbol's latest bar at or before the decision. */
export type Decide<D extends Decision> = (decision: D, broker: PaperBroker, lastBar: Bar | undefined) => BrokerEvent[];

export interface PaperBrokerOptions<D extends Decision> {
  readonly broker: PaperBrokerConfig;
  /** Creates the strategy's state for one subscription (one run). */
  readonly strategy: () => Decide<D>;
  /** Receives a bar or decision that arrived behind the broker's watermark (side output). */
  readonly onLate?: (item: Bar | D, side: "left" | "right", reason: string) => void;
}

/**
 * Drives a PaperBroker from two event-time ordered inputs. Both are buffered until the smaller of their
 * watermarks passes them, then handled in event-time order with bars first at equal times: every working order
 * is matched against the bar and the account marked to it before any decision of that time is taken, and a
 * decision's orders are stamped with its event time, so (under next_open) they fill on a later bar only.
 * Because handling waits for both watermarks, the events do not depend on how either input was batched.
 *
 * @example
 * paperBroker(bars$, rows$, { broker: { startingCash: 1e5, policy: NEXT_OPEN },
 *   strategy: () => { const s = new RuleStrategy(rules); return (row, broker, bar) => s.onBar(bar!, row.values, broker); } })
 * @param bars$ bars the broker fills and marks on
 * @param decisions$ what the strategy acts on (feature rows, signals)
 */
export function paperBroker<D extends Decision>(
  bars$: Observable<Chunk<Bar>>,
  decisions$: Observable<Chunk<D>>,
  options: PaperBrokerOptions<D>,
): Observable<Chunk<BrokerEvent>> {
  return mergeByWatermark<Bar, D, BrokerEvent>(bars$, decisions$, { first: "left", onLate: options.onLate }, () => {
    const broker = new PaperBroker(options.broker);
    const decide = options.strategy();
    const lastBar = new Map<string, Bar>();
    return {
      onLeft(bar, out) {
        for (const e of broker.onBar(bar)) out.push(e);
        lastBar.set(bar.symbol, bar);
      },
      onRight(decision, out) {
        for (const e of decide(decision, broker, lastBar.get(decision.symbol))) out.push(e);
      },
    };
  });
}
