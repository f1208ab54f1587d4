// asofJoin: each left event joined with the latest right event of the same key at or before its event time.
import { Observable } from "rxjs";
import { WATERMARK_START, type Chunk } from "../engine/chunk.ts";

export interface Timed {
  readonly tsEvent: bigint;
}

export interface AsofJoinOptions<L extends Timed, R extends Timed, O> {
  readonly leftKey: (l: L) => string;
  readonly rightKey: (r: R) => string;
  /** A right event older than this (nanoseconds) is not joined: `combine` gets undefined. */
  readonly maxStalenessNs: bigint;
  /** Builds the output; `right` is the latest match within the staleness bound, `ageNs` its age. */
  readonly combine: (left: L, right: R | undefined, ageNs: bigint | undefined) => O;
  /** Bound on keys kept (least recently updated evicted first). Default 100,000. */
  readonly maxKeys?: number;
}

/**
 * As-of join by event time. Both inputs are buffered until the smaller of their watermarks passes them,
 * then merged in event-time order (a right event at the same time as a left one counts as "at or before"),
 * so the result is the same whatever the arrival order or batching of the two streams.
 *
 * @example
 * asofJoin(bars$, sentiment$, { leftKey: (b) => b.symbol, rightKey: (s) => s.symbol, maxStalenessNs: 4n * HOUR,
 *   combine: (b, s) => ({ ...b, sentiment: s?.score ?? 0 }) })
 */
export function asofJoin<L extends Timed, R extends Timed, O>(left$: Observable<Chunk<L>>, right$: Observable<Chunk<R>>, options: AsofJoinOptions<L, R, O>): Observable<Chunk<O>> {
  const maxKeys = options.maxKeys ?? 100_000;
  return new Observable<Chunk<O>>((subscriber) => {
    let leftBuf: L[] = [];
    let rightBuf: R[] = [];
    let leftW = WATERMARK_START;
    let rightW = WATERMARK_START;
    let emittedW = WATERMARK_START;
    const latest = new Map<string, R>();
    let done = 0;

    const flush = (): void => {
      const w = leftW < rightW ? leftW : rightW;
      if (w <= emittedW) return;
      emittedW = w;
      const out: O[] = [];
      let li = 0;
      let ri = 0;
      // Both buffers are in event-time order (each input stream is).
      while (li < leftBuf.length && leftBuf[li]!.tsEvent < w) {
        const l = leftBuf[li]!;
        while (ri < rightBuf.length && rightBuf[ri]!.tsEvent <= l.tsEvent) {
          const r = rightBuf[ri++]!;
          const k = options.rightKey(r);
          latest.delete(k); // re-insert: Map order = least recently updated first
          latest.set(k, r);
          if (latest.size > maxKeys) latest.delete(latest.keys().next().value!);
        }
        const r = latest.get(options.leftKey(l));
        const age = r === undefined ? undefined : l.tsEvent - r.tsEvent;
        const fresh = age !== undefined && age <= options.maxStalenessNs;
        out.push(options.combine(l, fresh ? r : undefined, fresh ? age : undefined));
        li++;
      }
      while (ri < rightBuf.length && rightBuf[ri]!.tsEvent < w) {
        const r = rightBuf[ri++]!;
        const k = options.rightKey(r);
        latest.delete(k);
        latest.set(k, r);
        if (latest.size > maxKeys) latest.delete(latest.keys().next().value!);
      }
      leftBuf = li ? leftBuf.slice(li) : leftBuf;
      rightBuf = ri ? rightBuf.slice(ri) : rightBuf;
      subscriber.next({ items: out, watermark: w });
    };

    const onDone = (): void => {
      if (++done === 2) subscriber.complete();
    };
    const subL = left$.subscribe({
      next(c) {
        for (const x of c.items) leftBuf.push(x);
        if (c.watermark > leftW) leftW = c.watermark;
        try { flush(); } catch (e) { subscriber.error(e); }
      },
      error: (e) => subscriber.error(e),
      complete: onDone,
    });
    const subR = right$.subscribe({
      next(c) {
        for (const x of c.items) rightBuf.push(x);
        if (c.watermark > rightW) rightW = c.watermark;
        try { flush(); } catch (e) { subscriber.error(e); }
      },
      error: (e) => subscriber.error(e),
      complete: onDone,
    });
    return () => {
      subL.unsubscribe();
      subR.unsubscribe();
    };
  });
}
