// Sequencer: puts live inputs from several sources into one event-time order with a watermark, so that the
// order the pipeline sees is the order replay will read back (event time, then source rank, then stream seq).
// Pure: idleness and catching up are told to it by the source loop; the only time it reads is the clock it is given.

import { nsToIso } from "../schemas/time.ts";

export interface Sequenced<T> {
  readonly source: number;
  /** Tie-break between sources at equal event time: the source's rank in the declaration (replay's order). */
  readonly rank: number;
  readonly ts: bigint;
  readonly seq: bigint;
  readonly item: T;
}

export interface Released<T> {
  readonly entries: readonly Sequenced<T>[];
  /** Every input with ts < watermark has been released. */
  readonly watermark: bigint;
}

/**
 * "accepted": buffered until the watermark passes it; "late": behind the released watermark; "duplicate": its dedupe
 * key was seen; "ahead": its event time is more than maxAhead beyond `aheadReference()` (it would move the watermark
 * so far that every later input is late). Only "accepted" changes what the sequencer holds or releases.
 */
export type AddResult = "accepted" | "late" | "duplicate" | "ahead";

export interface SequencerOptions {
  /** An input more than this beyond `aheadReference()` is "ahead"; absent: no bound. */
  readonly maxAheadNs?: bigint;
  /** The wall clock in event-time nanoseconds, part of the ahead reference (live inputs pass the arrival time). */
  readonly now?: () => bigint;
}

const MIN = -(2n ** 63n);

export class Sequencer<T> {
  private readonly buffers: Sequenced<T>[][];
  private readonly maxSeen: bigint[];
  private readonly idle: boolean[];
  /** Sources still delivering a backlog that is not in event-time order: nothing is released meanwhile. */
  private readonly catchingUp: boolean[];
  /** Dedupe key → the origin of its first delivery (e.g. "MARKET:4412"), for the last `dedupeWindow` keys. */
  private readonly seen = new Map<string, string>();
  private released = MIN;
  /** The newest event time accepted from any source (checkpointed with the watermark, see `restoreWatermark`). */
  private newest = MIN;

  /**
   * @param sourceCount number of sources (ranked by index)
   * @param maxDelayNs bounded out-of-orderness: the watermark trails the newest input by this much
   * @param dedupeWindow how many recent (source, seq) pairs are remembered to drop redeliveries
   * @param o the bound on event times ahead of the present (see `aheadReference`)
   */
  constructor(
    readonly sourceCount: number,
    readonly maxDelayNs: bigint = 0n,
    private readonly dedupeWindow = 200_000,
    private readonly o: SequencerOptions = {},
  ) {
    this.buffers = Array.from({ length: sourceCount }, () => []);
    this.maxSeen = new Array<bigint>(sourceCount).fill(MIN);
    this.idle = new Array<boolean>(sourceCount).fill(false);
    this.catchingUp = new Array<boolean>(sourceCount).fill(false);
  }

  get watermark(): bigint {
    return this.released;
  }

  /**
   * Adds one input. `dedupeKey` identifies the message (live runs use the message id, as the recording does): a
   * second input with a seen key is a "duplicate"; `firstOrigin(key)` then tells a redelivery of the same message
   * (same origin) from another message carrying the same id. An input "ahead" or "late" is not buffered.
   */
  add(source: number, ts: bigint, seq: bigint, item: T, dedupeKey = `${source}:${seq}`, rank = source, origin = `${source}:${seq}`): AddResult {
    if (this.seen.has(dedupeKey)) return "duplicate";
    // Not remembered: an input that was never processed must not make a later one with its id a duplicate.
    if (this.isAhead(ts)) return "ahead";
    this.seen.set(dedupeKey, origin);
    // A Map iterates in insertion order: its first key is the oldest.
    if (this.seen.size > this.dedupeWindow) this.seen.delete(this.seen.keys().next().value!);
    if (ts < this.released) return "late";
    this.buffers[source]!.push({ source, rank, ts, seq, item });
    if (ts > this.maxSeen[source]!) this.maxSeen[source] = ts;
    if (ts > this.newest) this.newest = ts;
    this.idle[source] = false;
    return "accepted";
  }

  /**
   * What an input's event time is measured against for maxAhead: the latest of the wall clock, the released
   * watermark and the newest event time accepted. Not the watermark alone: it stands still over a weekend, a
   * stopped run or a backlog held while a lane catches up, and every input after such a gap would be "ahead". The
   * wall clock makes the bound hold from the first input on (before anything was released, and after a restore,
   * which brings back only the watermark), and inputs dated after the wall clock (a simulated feed published
   * faster than real time) extend it one accepted input at a time. What it cannot catch: an input dated between
   * a backlog's history and the present (bars of 2010 followed by one dated last week); it makes the rest late.
   */
  aheadReference(): bigint {
    let r = this.released > this.newest ? this.released : this.newest;
    const now = this.o.now?.();
    if (now !== undefined && now > r) r = now;
    return r;
  }

  private isAhead(ts: bigint): boolean {
    if (this.o.maxAheadNs === undefined) return false;
    const ref = this.aheadReference();
    // Nothing to measure against yet (no clock, nothing accepted or restored): the first input sets the reference.
    return ref !== MIN && ts - ref > this.o.maxAheadNs;
  }

  /** Continues a checkpointed run: every input before `watermark` was released by it. Call before any add. */
  restoreWatermark(watermark: bigint, newest: bigint = watermark): void {
    if (watermark > this.released) this.released = watermark;
    if (newest > this.newest) this.newest = newest;
  }

  /** The newest event time accepted so far (what `aheadReference` measures from, with the watermark and the clock). */
  get newestAccepted(): bigint {
    return this.newest;
  }

  /** Where the first input with this dedupe key came from (within the dedupe window). */
  firstOrigin(dedupeKey: string): string | undefined {
    return this.seen.get(dedupeKey);
  }

  /** A source that has delivered everything it has (nothing pending) stops holding the watermark back. */
  setIdle(source: number, idle: boolean): void {
    this.idle[source] = idle;
  }

  /** True when every source is idle (caught up). */
  get allIdle(): boolean {
    return this.idle.every(Boolean);
  }

  /**
   * A source delivering a backlog in stream order, which need not be event-time order (a wildcard subject over
   * history imported one symbol after the other): while any source is catching up the watermark does not move and
   * nothing is released, so none of the backlog is late; once it is caught up, what it held is released in order.
   */
  setCatchingUp(source: number, catchingUp: boolean): void {
    this.catchingUp[source] = catchingUp;
  }

  /** True while some source is catching up (see setCatchingUp). */
  get anyCatchingUp(): boolean {
    return this.catchingUp.some(Boolean);
  }

  /**
   * Releases, in order, every buffered input the watermark allows; undefined when nothing can move (always while a
   * source is catching up).
   * When every source is idle, the newest `maxDelay` of event time still waits (a source that just went
   * idle may deliver something slightly older next), unless `flush` is set: the caller says the sources
   * have been quiet long enough (wall time) for everything to go.
   */
  release(flush = false): Released<T> | undefined {
    if (this.anyCatchingUp) return undefined;
    let w: bigint | undefined;
    let allIdle = true;
    for (let s = 0; s < this.sourceCount; s++) {
      if (this.idle[s]) continue;
      allIdle = false;
      const sw = this.maxSeen[s] === MIN ? MIN : this.maxSeen[s]! - this.maxDelayNs;
      if (w === undefined || sw < w) w = sw;
    }
    let bufferedMax = MIN;
    for (const b of this.buffers) for (const e of b) if (e.ts > bufferedMax) bufferedMax = e.ts;
    // All sources idle and flushing (or no delay allowed): everything buffered can go; the watermark stays at
    // the newest time released, since more inputs at that same time may still come.
    const releaseAll = allIdle && (flush || this.maxDelayNs === 0n);
    if (allIdle && !releaseAll) w = bufferedMax === MIN ? MIN : bufferedMax - this.maxDelayNs;
    const limit = releaseAll ? undefined : w!;
    const next = releaseAll ? bufferedMax : w!;
    const out: Sequenced<T>[] = [];
    for (let s = 0; s < this.sourceCount; s++) {
      const b = this.buffers[s]!;
      if (b.length === 0) continue;
      const keep: Sequenced<T>[] = [];
      for (const e of b) (limit === undefined || e.ts < limit ? out : keep).push(e);
      this.buffers[s] = keep;
    }
    if (out.length === 0 && next <= this.released) return undefined;
    out.sort(compareSequenced);
    if (next > this.released) this.released = next;
    return { entries: out, watermark: this.released };
  }

  /** Everything still buffered, in order (at shutdown). */
  drain(): Released<T> {
    const out = this.buffers.flat().sort(compareSequenced);
    this.buffers.forEach((_, i) => (this.buffers[i] = []));
    const last = out.length ? out[out.length - 1]!.ts : this.released;
    if (last > this.released) this.released = last;
    return { entries: out, watermark: this.released };
  }
}

export function compareSequenced(a: Sequenced<unknown>, b: Sequenced<unknown>): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** Why an input is late, in ISO times (and how far behind): the text of its dead letter. */
export function lateReason(tsEvent: bigint, watermark: bigint, maxDelay: string): string {
  const behindMs = Number((watermark - tsEvent) / 1_000_000n);
  return `event time ${nsToIso(tsEvent)} is ${behindMs >= 1000 ? `${(behindMs / 1000).toFixed(3)} s` : `${behindMs} ms`} behind the watermark ${nsToIso(watermark)} (sequencing.maxDelay ${maxDelay})`;
}
