// mergeByWatermark: the skeleton of every two-input operator (joins, the broker). Both inputs are buffered
// until the smaller of their watermarks passes them, then handed to the operator in one event-time order,
// so its output depends on the two input sequences only, never on how they were batched or interleaved.
import { Observable } from "rxjs";
import { WATERMARK_END, WATERMARK_START, type Chunk } from "./chunk.ts";
import { managedHandler, type StateSpec } from "./state.ts";

export interface Timed {
  readonly tsEvent: bigint;
}

/** What one subscription of a two-input operator does; created fresh per subscription. */
export interface MergeHandler<L, R, O> {
  onLeft(item: L, out: O[]): void;
  onRight(item: R, out: O[]): void;
  /** After the items an advance released: the new merged watermark (evict state here). */
  onWatermark?(watermark: bigint, out: O[]): void;
}

export interface MergeOptions<L, R> {
  /** Which side goes first at equal event times. */
  readonly first: "left" | "right";
  /**
   * Receives an item that arrived behind the merged watermark: items of the other side past it were already
   * handled, so handling it now would depend on arrival order. Without a handler such an item errors the stream
   * (it is never dropped silently).
   */
  readonly onLate?: (item: L | R, side: "left" | "right", reason: string) => void;
}

/** The state of the merge itself: what waits for the other side's watermark. */
interface MergeState<L, R> {
  leftBuf: L[];
  rightBuf: R[];
  leftW: bigint;
  rightW: bigint;
  emittedW: bigint;
}

/** A merge whose handler keeps nothing: its checkpoint holds the buffers only. */
const NO_STATE: StateSpec<undefined> = { name: "merge", version: 1, init: () => undefined };

/**
 * The handler gets its declared state (`state`, plain data: see core/state.ts); the merge checkpoints it together
 * with the items still waiting in its buffers.
 *
 * @example
 * mergeByWatermark(bars$, signals$, { first: "left", onLate }, (s) => ({
 *   onLeft: (bar, out) => { ... }, onRight: (signal, out) => { ... } }), { name: "join", version: 1, init: () => ({ latest: new Map() }) })
 */
export function mergeByWatermark<L extends Timed, R extends Timed, O>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: MergeOptions<L, R>,
  create: () => MergeHandler<L, R, O>,
): Observable<Chunk<O>>;
export function mergeByWatermark<L extends Timed, R extends Timed, O, S>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: MergeOptions<L, R>,
  create: (state: S) => MergeHandler<L, R, O>,
  state: StateSpec<S>,
): Observable<Chunk<O>>;
export function mergeByWatermark<L extends Timed, R extends Timed, O, S>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: MergeOptions<L, R>,
  create: (state: S) => MergeHandler<L, R, O>,
  spec: StateSpec<S> = NO_STATE as unknown as StateSpec<S>,
): Observable<Chunk<O>> {
  const leftFirst = options.first === "left";
  return new Observable<Chunk<O>>((subscriber) => {
    let leftBuf: L[] = [];
    let rightBuf: R[] = [];
    let leftW = WATERMARK_START;
    let rightW = WATERMARK_START;
    let emittedW = WATERMARK_START;
    let done = 0;
    const h = managedHandler(spec, create, {
      save: (): MergeState<L, R> => ({ leftBuf, rightBuf, leftW, rightW, emittedW }),
      load: (d) => {
        ({ leftBuf, rightBuf, leftW, rightW, emittedW } = d as MergeState<L, R>);
      },
    });

    const flush = (): void => {
      const w = leftW < rightW ? leftW : rightW;
      if (w <= emittedW) return;
      emittedW = w;
      const l = release(leftBuf, w);
      const r = release(rightBuf, w);
      leftBuf = l.rest;
      rightBuf = r.rest;
      const out: O[] = [];
      let li = 0;
      let ri = 0;
      while (li < l.ready.length || ri < r.ready.length) {
        const takeLeft =
          ri >= r.ready.length ||
          (li < l.ready.length && (leftFirst ? l.ready[li]!.tsEvent <= r.ready[ri]!.tsEvent : l.ready[li]!.tsEvent < r.ready[ri]!.tsEvent));
        if (takeLeft) h.handler.onLeft(l.ready[li++]!, out);
        else h.handler.onRight(r.ready[ri++]!, out);
      }
      h.handler.onWatermark?.(w, out);
      subscriber.next({ items: out, watermark: w });
    };

    const accept = <T extends Timed>(side: "left" | "right", buf: T[], items: readonly T[]): void => {
      for (const x of items) {
        if (x.tsEvent >= emittedW) {
          buf.push(x);
          continue;
        }
        const reason = `${side} event at ${x.tsEvent} is behind the merged watermark ${emittedW}: the other input was already handled past it`;
        if (!options.onLate) throw new Error(reason);
        options.onLate(x as unknown as L | R, side, reason);
      }
    };
    const guard = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        subscriber.error(e);
      }
    };
    const onDone = (): void => {
      if (++done < 2) return;
      guard(() => {
        leftW = rightW = WATERMARK_END; // both complete: nothing more can arrive
        flush();
      });
      subscriber.complete();
    };
    const subL = left$.subscribe({
      next: (c) =>
        guard(() => {
          accept("left", leftBuf, c.items);
          if (c.watermark > leftW) leftW = c.watermark;
          flush();
        }),
      error: (e) => subscriber.error(e),
      complete: onDone,
    });
    const subR = right$.subscribe({
      next: (c) =>
        guard(() => {
          accept("right", rightBuf, c.items);
          if (c.watermark > rightW) rightW = c.watermark;
          flush();
        }),
      error: (e) => subscriber.error(e),
      complete: onDone,
    });
    return () => {
      subL.unsubscribe();
      subR.unsubscribe();
    };
  });
}

/** Splits a buffer at the watermark; the released part in event-time order (stable: arrival order on ties). */
function release<T extends Timed>(buf: T[], w: bigint): { ready: T[]; rest: T[] } {
  const ready: T[] = [];
  const rest: T[] = [];
  for (const x of buf) (x.tsEvent < w ? ready : rest).push(x);
  ready.sort((a, b) => (a.tsEvent < b.tsEvent ? -1 : a.tsEvent > b.tsEvent ? 1 : 0));
  return { ready, rest };
}
