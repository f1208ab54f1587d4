// What the connector conformance suite (conformance.test.ts) needs from each connector's harness entry, and the
// bounded helpers the entries and the suite share: every wait has a timeout, every read goes through BatchReader.
import { CONNECTORS } from "../../app/connectors.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import type { InputBatch, InputPort, Timed, InputOrigin } from "../../runtime/ports.ts";
import type { Services } from "../../runtime/connectors.ts";

/** A case that does not apply to a connector, with the reason the suite prints. */
export interface NotApplicable {
  readonly notApplicable: string;
}

export type Case<T> = T | NotApplicable;

export function isNotApplicable<T>(c: Case<T>): c is NotApplicable {
  return typeof c === "object" && c !== null && "notApplicable" in c;
}

// ---------------------------------------------------------------------------------------------------------------
// Sinks

/** The real thing a sink writes to (a nats-server, a DuckDB file, an HTTP receiver, a console), started fresh. */
export interface SinkTarget {
  /** The sink's `params:` in the declaration (JSON is YAML flow). */
  readonly params: Readonly<Record<string, unknown>>;
  /** What the sink needs from the run (RECORDER, PUBLISHER, PRINT ...). */
  readonly services: Services;
  /** What the target holds now, decoded with the kind's codec, in the order it holds them (deduped as it dedupes). */
  held(): Promise<unknown[]>;
  /** Asserts the wire form of what it holds: `items` written by `runId` as one batch numbered from `firstSeq`. */
  checkWire(items: readonly unknown[], firstSeq: bigint, runId: string): Promise<void>;
  /** Makes every later write fail for good (a receiver answering 500, a stopped server, a closed database ...). */
  breakTarget(): Promise<void>;
  /** The dedupe keys of every delivery attempt the target saw, duplicates included (webhook: Idempotency-Key). */
  deliveryKeys?(): readonly string[];
  close(): Promise<void>;
}

export interface SinkHarness {
  /** The sink's `type`, as in CONNECTORS.sinks. */
  readonly type: string;
  start(): Promise<SinkTarget>;
  /** Why writing the same batch again stores nothing twice, or why the sink is not idempotent (it must then be an observer). */
  readonly idempotent: Case<string>;
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

/** The real thing a source reads (a nats-server with streams, a WebSocket exchange, a file), started fresh. */
export interface SourceTarget {
  /** A pipeline declaration whose sources all use the connector. */
  readonly yaml: string;
  readonly services: Services;
  /** Makes `items` (from the harness's `inputs`) available to the port: published, served on connect, written. */
  feed(items: readonly Timed[]): Promise<void>;
  close(): Promise<void>;
}

/** What a disturbance scenario (redelivery, reconnect) handed the pipeline: checked like a clean read. */
export interface Scenario {
  /** The pipeline the runs read (its sources' subjects are what the origins must match). */
  readonly pipeline: CompiledPipeline;
  /** The inputs the pipeline must see, exactly once and in this order, across all runs. */
  readonly expected: readonly Timed[];
  /** The batches the pipeline processed (committed), per input port opened, in order. */
  readonly runs: readonly (readonly InputBatch[])[];
  /** What shows the disturbance took effect (printed), e.g. "12 uncommitted inputs delivered again". */
  readonly evidence: string;
}

export interface SourceHarness {
  /** The source's `connector`, as in CONNECTORS.sources. */
  readonly connector: string;
  start(): Promise<SourceTarget>;
  /** `count` distinct inputs numbered from `from`, in the order the pipeline must see them. */
  inputs(count: number, from?: number): Timed[];
  /** Per origin: whether the source reports it acknowledged (JetStream: at or below the consumer's ack floor). */
  readonly acknowledged: Case<(target: SourceTarget, input: InputPort, origins: readonly InputOrigin[]) => Promise<boolean[]>>;
  /** Inputs handed over again (uncommitted, re-sent, re-read) are processed once. */
  readonly redelivery: Case<() => Promise<Scenario>>;
  /** A connection lost and re-established mid-stream loses nothing and duplicates nothing. */
  readonly reconnect: Case<() => Promise<Scenario>>;
}

/** Opens the connector's input port on the target's pipeline through its spec, as `openInput` does for a live run. */
export function openSource(target: SourceTarget, connector: string, runId: string): { pipeline: CompiledPipeline; input: InputPort } {
  const pipeline = parsePipeline(target.yaml, `${connector}-conformance.yaml`);
  const spec = CONNECTORS.sources.find((s) => s.connector === connector);
  if (!spec) throw new Error(`no source connector "${connector}" in CONNECTORS`);
  const input = spec.open(
    pipeline.sources,
    pipeline.sources.map((s) => s.params),
    { runId, pipeline, services: target.services },
  );
  return { pipeline, input };
}

// ---------------------------------------------------------------------------------------------------------------
// Bounded waits

/** `p`, or a rejection naming `what` after `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** How `p` settled within `ms`: a test can then tell "rejected" from "still pending". */
export async function settleWithin(
  p: Promise<unknown>,
  ms: number,
): Promise<{ status: "resolved" } | { status: "rejected"; error: unknown } | { status: "pending" }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: "pending" }>((r) => (timer = setTimeout(() => r({ status: "pending" }), ms)));
  try {
    return await Promise.race([
      p.then(
        () => ({ status: "resolved" as const }),
        (error: unknown) => ({ status: "rejected" as const, error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` every 20 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, predicate: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The message id of an input (every kind the harnesses feed has one). */
export function idOf(item: Timed): string {
  const id = (item as { id?: unknown }).id;
  if (typeof id !== "string") throw new Error(`input at ${item.tsEvent} has no string id`);
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a port the way the run driver does, with a timeout on every step

export class BatchReader {
  readonly batches: InputBatch[] = [];
  private iterator?: AsyncIterator<InputBatch>;
  private ended = false;

  constructor(
    readonly input: InputPort,
    private readonly what: string,
  ) {}

  /** Inputs read so far. */
  get count(): number {
    return this.batches.reduce((n, b) => n + b.items.length, 0);
  }

  get done(): boolean {
    return this.ended;
  }

  async open(timeoutMs = 10_000): Promise<this> {
    await within(this.input.open?.() ?? Promise.resolve(), timeoutMs, `${this.what}: open()`);
    this.iterator = this.input.batches()[Symbol.asyncIterator]();
    return this;
  }

  /** The next batch (kept in `batches`), or undefined once `batches()` ended. */
  async next(timeoutMs = 10_000): Promise<InputBatch | undefined> {
    if (!this.iterator) throw new Error(`${this.what}: open() first`);
    if (this.ended) return undefined;
    const r = await within(this.iterator.next(), timeoutMs, `${this.what}: the next batch (after ${this.count} inputs)`);
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    this.batches.push(r.value);
    return r.value;
  }

  /** Reads until `count` inputs in all, committing each batch after reading it unless `commit` says no. */
  async readUntil(count: number, o: { commit?: (b: InputBatch) => boolean; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (o.timeoutMs ?? 15_000);
    while (this.count < count) {
      const b = await this.next(Math.max(1, deadline - Date.now()));
      if (!b) throw new Error(`${this.what}: batches() ended after ${this.count} of ${count} inputs`);
      if (o.commit?.(b) ?? true) await b.commit?.();
    }
  }

  /** Asks the port to stop, reads (and commits, unless told not to) what it still hands over, then closes it. */
  async finish(o: { commit?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = o.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    await within(this.input.stop?.() ?? Promise.resolve(), timeoutMs, `${this.what}: stop()`);
    while (this.iterator && !this.ended) {
      const b = await this.next(Math.max(1, deadline - Date.now()));
      if (b && (o.commit ?? true)) await b.commit?.();
    }
    await within(this.input.close?.() ?? Promise.resolve(), timeoutMs, `${this.what}: close()`);
  }

  /** Closes the port without reading further (cleanup after a failure; never throws). */
  async abandon(): Promise<void> {
    await within(this.input.stop?.() ?? Promise.resolve(), 5000, `${this.what}: stop()`).catch(() => undefined);
    await within(this.input.close?.() ?? Promise.resolve(), 5000, `${this.what}: close()`).catch(() => undefined);
  }
}
