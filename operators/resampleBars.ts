// resampleBars: bars → coarser bars (1m → 5m, 1h → 1d), optionally bounded by a daily trading session.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { Bar } from "../schemas/bar.ts";
import { timeframeNs } from "../schemas/timeframe.ts";
import { alignDown, lagWatermark, openWindow, releaseWindows, windowStoreState, type LateHandler, type WindowStoreState } from "./windowAggregates.ts";
import { addBarToOhlcv, emptyOhlcv, ohlcvBar, type OhlcvAccumulator } from "./ohlcvAccumulator.ts";

const NS_PER_MS = 1_000_000n;
const DAY_NS = 86_400_000_000_000n;

/** A daily trading session in local time, e.g. `{ timezone: "America/New_York", open: "09:30", close: "16:00" }`. */
export interface TradingSession {
  /** An IANA zone (daylight saving applied through Intl), "UTC", or a fixed offset like "+05:30" / "-04:00". */
  readonly timezone: string;
  /** Local opening time "HH:MM" (inclusive). */
  readonly open: string;
  /** Local closing time "HH:MM" (exclusive), after `open`: sessions that span midnight are not supported. */
  readonly close: string;
}

export interface ResampleBarsOptions {
  /** Target timeframe, e.g. "5m", "1h", "1d"; coarser than the input and a multiple of it. */
  readonly timeframe: string;
  /**
   * With a session, buckets start at the session open (a "1h" bar is 09:30–10:30 …, the last one truncated at
   * the close), "1d" is exactly one session, and bars outside the session are rejected. Without one, buckets
   * are aligned to the epoch in UTC (a "1d" bar is a UTC calendar day).
   */
  readonly session?: TradingSession;
  /** How long after the watermark passes a bucket's end it still accepts bars (default 0). */
  readonly allowedLatenessNs?: bigint;
  /** Receives bars that cannot be placed: late, or crossing a bucket boundary (and outside the session, by default). */
  readonly onLate: LateHandler<Bar>;
  /** Receives bars outside the trading session (pre-/after-market); default `onLate`. */
  readonly onOutsideSession?: LateHandler<Bar>;
}

/** What resampleBars remembers between batches (its declared state): plain data, checkpointed as it is. */
/** The open buckets, by (end, symbol), with their OHLCV accumulators, and the last watermark. */
export type ResampleBarsState = WindowStoreState<OhlcvAccumulator>;

/**
 * Aggregates bars per symbol into buckets of the target timeframe: open of the earliest bar, close of the
 * latest (by tsOpen), max high, min low, summed volume and trade count, VWAP = Σ(vwap × volume) / Σ volume
 * (close when the volume is 0). A bucket [start, end) is emitted once the watermark passes end (+ lateness),
 * since its last input bar has tsEvent = end; outputs come in (end, symbol) order. The open buckets live in the
 * operator's declared state (`ResampleBarsState`), so a checkpointed run resumes them.
 *
 * @example
 * bars1m$.pipe(resampleBars({ timeframe: "1d", session: { timezone: "America/New_York", open: "09:30", close: "16:00" }, onLate }))
 * @param options target timeframe, trading session, allowed lateness and the rejected-bar handler
 */
export function resampleBars(options: ResampleBarsOptions): OperatorFunction<Chunk<Bar>, Chunk<Bar>> {
  const tf = timeframeNs(options.timeframe);
  const timeframe = options.timeframe;
  const lateness = options.allowedLatenessNs ?? 0n;
  if (lateness < 0n) throw new RangeError(`resampleBars: allowedLatenessNs must be >= 0, got ${lateness}`);
  const session = options.session;
  if (session && tf > DAY_NS)
    throw new RangeError(
      `resampleBars: with a trading session the timeframe must be intraday or 1d, got "${timeframe}" (multi-session bars need a trading calendar)`,
    );
  // Its one-day cache is a memo of a pure function, not operator state: a resumed run computes the same bounds.
  const sessionAt = session ? sessionLocator(session) : undefined;

  /** The bucket [start, end) of a bar, or the reason it has none. */
  const bucketOf = (b: Bar): [bigint, bigint] | string => {
    if (!sessionAt) {
      const start = alignDown(b.tsOpen, tf);
      return [start, start + tf];
    }
    const s = sessionAt(b.tsOpen);
    if (b.tsOpen < s.open || b.tsEvent > s.close)
      return `bar [${b.tsOpen}, ${b.tsEvent}) of ${b.symbol} is outside the trading session ${session!.open}–${session!.close} ${session!.timezone}`;
    if (tf >= DAY_NS) return [s.open, s.close];
    const start = s.open + ((b.tsOpen - s.open) / tf) * tf;
    const end = start + tf;
    return [start, end < s.close ? end : s.close];
  };

  const spec = windowStoreState<OhlcvAccumulator>("resampleBars");
  const op = chunkOperator<Bar, Bar, ResampleBarsState>(
    (state) => ({
      onItems(items) {
        for (const b of items) {
          const bucket = bucketOf(b);
          if (typeof bucket === "string") {
            (options.onOutsideSession ?? options.onLate)(b, bucket);
            continue;
          }
          const [start, end] = bucket;
          if (b.tsEvent > end) {
            options.onLate(
              b,
              `${b.timeframe} bar [${b.tsOpen}, ${b.tsEvent}) of ${b.symbol} crosses the ${timeframe} bucket end ${end}; resample to a multiple of the input timeframe`,
            );
            continue;
          }
          const watermark = state.watermark;
          if (watermark !== undefined && end + lateness < watermark) {
            options.onLate(
              b,
              `bar [${b.tsOpen}, ${b.tsEvent}) of ${b.symbol} belongs to the ${timeframe} bar [${start}, ${end}), already emitted at watermark ${watermark} (allowed lateness ${lateness} ns)`,
            );
            continue;
          }
          addBarToOhlcv(openWindow(state.windows, end, b.symbol, start, emptyOhlcv).acc, b);
        }
      },
      onWatermark(wm, out) {
        state.watermark = wm;
        // The last bar of a bucket has tsEvent = end, delivered only once the watermark is past end.
        releaseWindows(state.windows, wm - lateness - 1n, (w, end, symbol) => {
          out.push(ohlcvBar(w.acc, symbol, timeframe, w.start, end));
        });
      },
    }),
    spec,
  );
  return lateness > 0n ? (source) => source.pipe(op, lagWatermark<Bar>(lateness)) : op;
}

// ---------------------------------------------------------------------------------------------------------
// Trading sessions in local time

export interface SessionBounds {
  /** UTC instants (ns) of the local open and close on the local date of the asked time. */
  readonly open: bigint;
  readonly close: bigint;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

function minutesOf(hhmm: string, what: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw new RangeError(`trading session ${what} "${hhmm}" must be a local time HH:MM, e.g. 09:30`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Returns a function giving the session on the local calendar date of a UTC time. Daylight saving comes
 * from Intl for IANA zones; the last computed day is cached, since bars mostly arrive in time order.
 */
export function sessionLocator(session: TradingSession): (tsNs: bigint) => SessionBounds {
  const openMin = minutesOf(session.open, "open");
  const closeMin = minutesOf(session.close, "close");
  if (closeMin <= openMin)
    throw new RangeError(`trading session close ${session.close} must be after open ${session.open} (sessions that span midnight are not supported)`);
  const offsetOf = zoneOffset(session.timezone);
  // Local wall-clock (ms since the epoch as if UTC) → UTC ms; retries once across a DST change.
  const toUtc = (localMs: number): number => {
    let utc = localMs - offsetOf(localMs);
    const again = localMs - offsetOf(utc);
    if (again !== utc) utc = again;
    return utc;
  };
  let cache: { from: bigint; to: bigint; bounds: SessionBounds } | undefined;
  return (tsNs) => {
    if (cache && tsNs >= cache.from && tsNs < cache.to) return cache.bounds;
    const ms = Number(tsNs / NS_PER_MS);
    const localDay = Math.floor((ms + offsetOf(ms)) / 86_400_000) * 86_400_000;
    const from = BigInt(toUtc(localDay)) * NS_PER_MS;
    const to = BigInt(toUtc(localDay + 86_400_000)) * NS_PER_MS;
    const bounds = { open: BigInt(toUtc(localDay + openMin * 60_000)) * NS_PER_MS, close: BigInt(toUtc(localDay + closeMin * 60_000)) * NS_PER_MS };
    if (tsNs >= from && tsNs < to) cache = { from, to, bounds };
    return bounds;
  };
}

/** The zone's offset from UTC (ms, local − UTC) at a UTC instant. */
function zoneOffset(timezone: string): (utcMs: number) => number {
  if (timezone === "UTC" || timezone === "Z") return () => 0;
  const fixed = OFFSET.exec(timezone);
  if (fixed) {
    const off = (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000 * (fixed[1] === "-" ? -1 : 1);
    return () => off;
  }
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw new RangeError(`trading session timezone "${timezone}" is not a known IANA zone (e.g. America/New_York), UTC, or an offset like +05:30`);
  }
  return (utcMs) => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(utcMs))) if (part.type !== "literal") p[part.type] = Number(part.value);
    const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return asUtc - Math.floor(utcMs / 1000) * 1000;
  };
}
