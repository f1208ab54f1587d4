// paperBroker: bars × decisions (feature rows or signals) → PaperBroker events, one broker per subscription.
// The same operator runs live and in replay; its only clock is the event time of its inputs.
import { Observable } from "rxjs";
import { WATERMARK_START, type Chunk } from "../engine/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import { PaperBroker, type BrokerEvent, type PaperBrokerConfig } from "../trading/PaperBroker.ts";

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
export function paperBroker<D extends Decision>(bars$: Observable<Chunk<Bar>>, decisions$: Observable<Chunk<D>>, options: PaperBrokerOptions<D>): Observable<Chunk<BrokerEvent>> {
  return new Observable<Chunk<BrokerEvent>>((subscriber) => {
    const broker = new PaperBroker(options.broker);
    const decide = options.strategy();
    const lastBar = new Map<string, Bar>();
    let bars: Bar[] = [];
    let decisions: D[] = [];
    let barW = WATERMARK_START;
    let decisionW = WATERMARK_START;
    let emittedW = WATERMARK_START;
    let done = 0;

    const flush = (): void => {
      const w = barW < decisionW ? barW : decisionW;
      if (w <= emittedW) return;
      emittedW = w;
      const out: BrokerEvent[] = [];
      const push = (events: readonly BrokerEvent[]): void => {
        for (const e of events) out.push(e);
      };
      let bi = 0;
      let di = 0;
      for (;;) {
        const b = bars[bi];
        const d = decisions[di];
        const barReady = b !== undefined && b.tsEvent < w;
        const decisionReady = d !== undefined && d.tsEvent < w;
        if (barReady && (!decisionReady || b.tsEvent <= d.tsEvent)) {
          push(broker.onBar(b));
          lastBar.set(b.symbol, b);
          bi++;
        } else if (decisionReady) {
          push(decide(d, broker, lastBar.get(d.symbol)));
          di++;
        } else break;
      }
      if (bi) bars = bars.slice(bi);
      if (di) decisions = decisions.slice(di);
      subscriber.next({ items: out, watermark: w });
    };

    const input = <T>(onItems: (items: readonly T[]) => void, onWatermark: (w: bigint) => void) => ({
      next(c: Chunk<T>) {
        onItems(c.items);
        onWatermark(c.watermark);
        try {
          flush();
        } catch (e) {
          subscriber.error(e);
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => {
        if (++done === 2) subscriber.complete();
      },
    });
    const subBars = bars$.subscribe(
      input<Bar>(
        (items) => { for (const x of items) bars.push(x); },
        (w) => { if (w > barW) barW = w; },
      ),
    );
    const subDecisions = decisions$.subscribe(
      input<D>(
        (items) => { for (const x of items) decisions.push(x); },
        (w) => { if (w > decisionW) decisionW = w; },
      ),
    );
    return () => {
      subBars.unsubscribe();
      subDecisions.unsubscribe();
    };
  });
}
