// Groups single requests into batches, cut by count (maxBatch) or by age (maxDelayMs), whichever comes first.
// Time comes from an injected scheduler so tests and replay control exactly when a time-based cut happens.

/** The timer the batcher uses. Live: realScheduler. Tests/replay: a manual scheduler or fake timers. */
export interface BatchScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: BatchScheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Why a batch was cut. */
export type BatchCut = "count" | "time" | "flush";

export interface MicroBatcherOptions {
  /** Requests per batch at most; a batch is cut as soon as it is full. Integer >= 1. */
  readonly maxBatch: number;
  /** Longest a request waits for companions before its batch is cut anyway. >= 0. */
  readonly maxDelayMs: number;
  /** Default realScheduler. */
  readonly scheduler?: BatchScheduler;
  /** Called once per batch before it is processed (for metrics; keep it cheap). */
  readonly onBatch?: (size: number, cut: BatchCut) => void;
}

/** process() returned a different number of results than requests. */
export class BatchResultCountError extends Error {
  override readonly name = "BatchResultCountError";
}

interface Pending<Req, Res> {
  readonly request: Req;
  readonly resolve: (value: Res) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Batches run one at a time, in the order they were cut, so results come back in request order.
 * A failing batch rejects exactly its own requests; later batches still run.
 * @example const b = new MicroBatcher((rows) => scoreAll(rows), { maxBatch: 64, maxDelayMs: 2 }); await b.submit(row);
 */
export class MicroBatcher<Req, Res> {
  private pending: Pending<Req, Res>[] = [];
  private timer: unknown = undefined;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly scheduler: BatchScheduler;

  constructor(
    private readonly process: (batch: readonly Req[]) => Promise<readonly Res[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
      throw new Error(`MicroBatcher: maxBatch must be an integer >= 1, got ${options.maxBatch}`);
    }
    if (!(options.maxDelayMs >= 0)) throw new Error(`MicroBatcher: maxDelayMs must be >= 0, got ${options.maxDelayMs}`);
    this.scheduler = options.scheduler ?? realScheduler;
  }

  /** Requests waiting for their batch to be cut. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Queues one request; resolves with its result or rejects with its batch's error. */
  submit(request: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new Error("MicroBatcher: closed; no new requests accepted"));
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.cut("count");
      else if (this.pending.length === 1) {
        this.timer = this.scheduler.setTimeout(() => {
          this.timer = undefined;
          this.cut("time");
        }, this.options.maxDelayMs);
      }
    });
  }

  /** Cuts whatever is waiting now (replay calls this on a batch boundary) and waits for every batch to settle. */
  async flush(): Promise<void> {
    this.cut("flush");
    await this.tail;
  }

  /** Flushes and refuses further requests. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private cut(reason: BatchCut): void {
    if (this.timer !== undefined) {
      this.scheduler.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.options.onBatch?.(batch.length, reason);
    this.tail = this.tail.then(() => this.run(batch));
  }

  private async run(batch: Pending<Req, Res>[]): Promise<void> {
    try {
      const results = await this.process(batch.map((p) => p.request));
      if (results.length !== batch.length) {
        throw new BatchResultCountError(`MicroBatcher: process returned ${results.length} results for a batch of ${batch.length}`);
      }
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
