// The batch loop of a live input that merges its lanes through a Sequencer (JetStream consumers, exchange
// WebSockets): it waits for what the watermark releases, hands the dead letters gathered meanwhile over with the
// next batch, drains what is held once the source has ended, and ends the run with the source's failure.
import type { InputBatch } from "./ports.ts";
import type { Sequenced, Sequencer } from "./sequencer.ts";

export interface SequencedBatchesOptions {
  /** On a failure, first hand over (and so record) what the sequencer holds. Default false: nothing more. */
  readonly drainOnFailure?: boolean;
}

/**
 * @example
 * const out = new SequencedBatches(sequencer, (entries, watermark, dead) => ({ items: entries.map((e) => e.item), ... }));
 * onMessage: sequencer.add(...); out.signal();   stop: out.end();   for await (const b of out.batches()) ...
 */
export class SequencedBatches<T, D> {
  /** Every lane has been quiet long enough (wall time, decided by the input): release what maxDelay holds back. */
  flushDue = false;
  private pending: D[] = [];
  private wake?: () => void;
  private failure?: unknown;
  private ended = false;
  private drainAtEnd = true;

  constructor(
    readonly sequencer: Sequencer<T>,
    private readonly make: (entries: readonly Sequenced<T>[], watermark: bigint, dead: readonly D[]) => InputBatch,
    private readonly o: SequencedBatchesOptions = {},
  ) {}

  /** The source's failure, if it failed. */
  get failed(): unknown {
    return this.failure;
  }

  /** A dead letter (with whatever the input needs to acknowledge it) for the next batch. */
  dead(d: D): void {
    this.pending.push(d);
    this.signal();
  }

  /** Something changed (a message arrived, a lane went idle): look again. */
  signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The source failed: `batches()` throws the first failure. */
  fail(e: unknown): void {
    this.failure ??= e;
    this.signal();
  }

  /**
   * The source delivers nothing more: `batches()` drains what is held and ends, or (`drain` false: a checkpointed
   * run stopping) ends at once, leaving what is held unacknowledged for the next run.
   */
  end(drain = true): void {
    this.ended = true;
    this.drainAtEnd = drain;
    this.signal();
  }

  async *batches(): AsyncGenerator<InputBatch> {
    for (;;) {
      if (this.failure !== undefined) {
        if (this.o.drainOnFailure) {
          const rest = this.sequencer.drain();
          if (rest.entries.length || this.pending.length) yield this.take(rest.entries, rest.watermark);
        }
        throw this.failure;
      }
      if (this.ended && !this.drainAtEnd) return;
      const rel = this.sequencer.release(this.flushDue);
      if (rel || this.pending.length) {
        yield this.take(rel?.entries ?? [], rel?.watermark ?? this.sequencer.watermark);
        continue;
      }
      if (this.ended) {
        const rest = this.sequencer.drain();
        if (rest.entries.length || this.pending.length) yield this.take(rest.entries, rest.watermark);
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private take(entries: readonly Sequenced<T>[], watermark: bigint): InputBatch {
    const dead = this.pending;
    this.pending = [];
    return this.make(entries, watermark, dead);
  }
}
