// slidingWindow: keyed event-time hopping windows (size, slide), one result per (window, key).
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import {
  alignDown,
  lagWatermark,
  openWindow,
  releaseWindows,
  symbolKey,
  type KeyedWindowOptions,
  type Timed,
  type WindowStoreState,
  windowStoreState,
} from "./windowAggregates.ts";

export interface SlidingWindowOptions<I extends Timed, A, O> extends KeyedWindowOptions<I, A, O> {
  /** Window length in nanoseconds. */
  readonly sizeNs: bigint;
  /** Distance between window starts; 0 < slide <= size (slide = size is a tumbling window). */
  readonly slideNs: bigint;
  /** Windows start at offsetNs + k × slideNs (default 0: aligned to the epoch, UTC). */
  readonly offsetNs?: bigint;
}

/**
 * Hopping windows: each event at t is folded into every window [s, s + size) with s = offset + k × slide and
 * s <= t < s + size (about size / slide windows; cost per event grows with that ratio). A window is emitted once
 * the watermark reaches end + allowedLateness, in (end, key) order. An event is either added to all of its
 * windows or, if the earliest of them was already emitted, sent whole to `onLate`: an emitted window never
 * misses an event that a later window counted. Output watermark: input watermark minus allowedLateness.
 * The open windows live in the operator's declared state (`WindowStoreState`), so a checkpointed run resumes them.
 *
 * @example
 * bars$.pipe(slidingWindow({ sizeNs: 15n * MINUTE, slideNs: 5n * MINUTE, aggregate: priceStats(), onLate }))
 * @param options size, slide, alignment, key, allowed lateness, reducer and late-event handler
 */
export function slidingWindow<I extends Timed, A, O>(options: SlidingWindowOptions<I, A, O>): OperatorFunction<Chunk<I>, Chunk<O>> {
  const { sizeNs: size, slideNs: slide } = options;
  const offset = options.offsetNs ?? 0n;
  const lateness = options.allowedLatenessNs ?? 0n;
  if (size <= 0n || slide <= 0n || slide > size) throw new RangeError(`slidingWindow: need 0 < slideNs <= sizeNs, got size ${size}, slide ${slide}`);
  if (lateness < 0n) throw new RangeError(`slidingWindow: allowedLatenessNs must be >= 0, got ${lateness}`);
  const keyOf = options.key ?? (symbolKey as (item: I) => string);
  const agg = options.aggregate;
  const op = chunkOperator<I, O, WindowStoreState<A>>(
    (state) => ({
      onItems(items) {
        for (const item of items) {
          const t = item.tsEvent;
          const last = alignDown(t, slide, offset); // latest window start holding t
          let first = last;
          while (first - slide > t - size) first -= slide;
          const watermark = state.watermark;
          if (watermark !== undefined && first + size + lateness <= watermark) {
            options.onLate(
              item,
              `event at ${t} belongs to the window [${first}, ${first + size}) of "${keyOf(item)}", already emitted at watermark ${watermark} (allowed lateness ${lateness} ns)`,
            );
            continue;
          }
          const key = keyOf(item);
          for (let s = first; s <= last; s += slide) {
            const w = openWindow(state.windows, s + size, key, s, agg.init);
            w.acc = agg.add(w.acc, item);
          }
        }
      },
      onWatermark(wm, out) {
        state.watermark = wm;
        releaseWindows(state.windows, wm - lateness, (w, end, key) => out.push(agg.result(w.acc, w.start, end, key)));
      },
    }),
    windowStoreState<A>("slidingWindow"),
  );
  return lateness > 0n ? (source) => source.pipe(op, lagWatermark<O>(lateness)) : op;
}
