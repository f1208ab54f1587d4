// tumblingWindow: keyed event-time windows of fixed size, aligned to the epoch, one result per (window, key).
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

export interface TumblingWindowOptions<I extends Timed, A, O> extends KeyedWindowOptions<I, A, O> {
  /** Window length in nanoseconds. */
  readonly sizeNs: bigint;
  /** Windows start at offsetNs + k × sizeNs (default 0: aligned to the epoch, UTC). */
  readonly offsetNs?: bigint;
}

/**
 * Assigns each event to the window [start, start + size) holding its `tsEvent`, folds it into that window's
 * accumulator for its key, and emits `aggregate.result` once the watermark reaches end + allowedLateness.
 * Results come in (end, key) order, so the output depends only on the input sequence, not on its batching.
 * An event whose window was already emitted goes to `onLate`. Windows with no events emit nothing; a key
 * with no new events holds no state once its windows are emitted. The output watermark is the input
 * watermark minus allowedLateness. A throwing reducer or callback errors the stream. The open windows live in
 * the operator's declared state (`TumblingWindowState`, with the reducer's plain-data accumulators), so a
 * checkpointed run resumes them.
 *
 * @example
 * trades$.pipe(tumblingWindow({ sizeNs: 60_000_000_000n, aggregate: countItems(), onLate: (t, why) => dlq(t, why) }))
 * @param options size, alignment, key, allowed lateness, reducer and late-event handler
 */
export function tumblingWindow<I extends Timed, A, O>(options: TumblingWindowOptions<I, A, O>): OperatorFunction<Chunk<I>, Chunk<O>> {
  const size = options.sizeNs;
  const offset = options.offsetNs ?? 0n;
  const lateness = options.allowedLatenessNs ?? 0n;
  if (size <= 0n) throw new RangeError(`tumblingWindow: sizeNs must be positive, got ${size}`);
  if (lateness < 0n) throw new RangeError(`tumblingWindow: allowedLatenessNs must be >= 0, got ${lateness}`);
  const keyOf = options.key ?? (symbolKey as (item: I) => string);
  const agg = options.aggregate;
  const op = chunkOperator<I, O, WindowStoreState<A>>(
    (state) => ({
      onItems(items) {
        for (const item of items) {
          const start = alignDown(item.tsEvent, size, offset);
          const end = start + size;
          const watermark = state.watermark;
          if (watermark !== undefined && end + lateness <= watermark) {
            options.onLate(
              item,
              `event at ${item.tsEvent} belongs to the window [${start}, ${end}) of "${keyOf(item)}", already emitted at watermark ${watermark} (allowed lateness ${lateness} ns)`,
            );
            continue;
          }
          const w = openWindow(state.windows, end, keyOf(item), start, agg.init);
          w.acc = agg.add(w.acc, item);
        }
      },
      onWatermark(wm, out) {
        state.watermark = wm;
        releaseWindows(state.windows, wm - lateness, (w, end, key) => out.push(agg.result(w.acc, w.start, end, key)));
      },
    }),
    windowStoreState<A>("tumblingWindow"),
  );
  return lateness > 0n ? (source) => source.pipe(op, lagWatermark<O>(lateness)) : op;
}
