// Sequencer: puts live inputs from several sources into one event-time order with a watermark, so that the
// order the pipeline sees is the order replay will read back (event time, then source rank, then stream seq).
// Pure: idleness is told to it by the source loop; it reads no clock.

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

export type AddResult = "accepted" | "late" | "duplicate";

const MIN = -(2n ** 63n);

export class Sequencer<T> {
  private readonly buffers: Sequenced<T>[][];
  private readonly maxSeen: bigint[];
  private readonly idle: boolean[];
  /** Dedupe key → the origin of its first delivery (e.g. "MARKET:4412"), for the last `dedupeWindow` keys. */
  private readonly seen = new Map<string, string>();
  private released = MIN;

  /**
   * @param sourceCount number of sources (ranked by index)
   * @param maxDelayNs bounded out-of-orderness: the watermark trails the newest input by this much
   * @param dedupeWindow how many recent (source, seq) pairs are remembered to drop redeliveries
   */
  constructor(
    readonly sourceCount: number,
    readonly maxDelayNs: bigint = 0n,
    private readonly dedupeWindow = 200_000,
  ) {
    this.buffers = Array.from({ length: sourceCount }, () => []);
    this.maxSeen = new Array<bigint>(sourceCount).fill(MIN);
    this.idle = new Array<boolean>(sourceCount).fill(false);
  }

  get watermark(): bigint {
    return this.released;
  }

  /**
   * Adds one input. `dedupeKey` identifies the message (live runs use the message id, as the recording does): a
   * second input with a seen key is a "duplicate"; `firstOrigin(key)` then tells a redelivery of the same message
   * (same origin) from another message carrying the same id.
   */
  add(source: number, ts: bigint, seq: bigint, item: T, dedupeKey = `${source}:${seq}`, rank = source, origin = `${source}:${seq}`): AddResult {
    if (this.seen.has(dedupeKey)) return "duplicate";
    this.seen.set(dedupeKey, origin);
    // A Map iterates in insertion order: its first key is the oldest.
    if (this.seen.size > this.dedupeWindow) this.seen.delete(this.seen.keys().next().value!);
    if (ts < this.released) return "late";
    this.buffers[source]!.push({ source, rank, ts, seq, item });
    if (ts > this.maxSeen[source]!) this.maxSeen[source] = ts;
    this.idle[source] = false;
    return "accepted";
  }

  /** Continues a checkpointed run: every input before `watermark` was released by it. Call before any add. */
  restoreWatermark(watermark: bigint): void {
    if (watermark > this.released) this.released = watermark;
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
   * Releases, in order, every buffered input the watermark allows; undefined when nothing can move.
   * When every source is idle, the newest `maxDelay` of event time still waits (a source that just went
   * idle may deliver something slightly older next), unless `flush` is set: the caller says the sources
   * have been quiet long enough (wall time) for everything to go.
   */
  release(flush = false): Released<T> | undefined {
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
