// PipelineRun: one run of a compiled pipeline (live or replay). Feeds ordered input batches through a
// PipelineInstance, hands outputs to the sinks, keeps the output digest, counts, and dead letters.
import { createHash, type Hash } from "node:crypto";
import { PipelineInstance, type CompiledPipeline } from "../pipeline/graph.ts";
import { KINDS, type Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";

/** Receives the outputs of one node after each input batch. Must have committed them when the promise resolves. */
export interface OutputSink {
  readonly name: string;
  write(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): Promise<void>;
  close?(): Promise<void>;
}

/** Receives dead letters (rejected inputs and items operators could not process). */
export interface DeadLetterSink {
  write(letters: readonly DeadLetter[]): Promise<void>;
}

export interface RunCounters {
  inputs: number;
  outputs: Record<string, number>;
  deadLetters: number;
  late: number;
  batches: number;
}

/**
 * Optional instrumentation a run calls (ops/metrics.ts implements it). Calls must be cheap and must not throw;
 * `items` are the emitted (immutable) outputs, handed over for observers such as a dashboard.
 */
export interface RunMetrics {
  inputs(sourceKind: string, count: number): void;
  outputs(node: string, kind: Kind, items: readonly unknown[]): void;
  deadLetter(letter: DeadLetter): void;
  /** Wall time from handing a batch to a sink until it committed it. */
  sinkCommitted(sink: string, seconds: number): void;
}

/** What a live run reports beyond a PipelineRun: measured here, in the I/O layer, never in operators. */
export interface LiveRunMetrics extends RunMetrics {
  late(): void;
  /** After each released batch is committed and acked: its wall time, the watermark, inputs still buffered. */
  batchProcessed(seconds: number, watermark: bigint, buffered: number): void;
  consumerPending(consumer: string, pending: number): void;
  /** A JetStream publish (signals, orders, dead letters) was retried. */
  publishRetried?(): void;
}

export interface RunSummary {
  readonly runId: string;
  readonly pipeline: string;
  readonly counters: RunCounters;
  /** SHA-256 over every output node's items in emission order (hex). */
  readonly digest: string;
  readonly perNodeDigest: Record<string, string>;
}

interface Timed {
  readonly tsEvent: bigint;
}

export class PipelineRun {
  readonly instance: PipelineInstance;
  readonly counters: RunCounters;
  private readonly hashes = new Map<string, Hash>();
  private readonly seqs = new Map<string, bigint>();
  private pendingDead: DeadLetter[] = [];
  private finished = false;

  constructor(
    readonly pipeline: CompiledPipeline,
    readonly runId: string,
    private readonly sinks: readonly { sink: OutputSink; input: string }[],
    private readonly deadLetters?: DeadLetterSink,
    private readonly metrics?: RunMetrics,
  ) {
    this.counters = { inputs: 0, outputs: Object.fromEntries(pipeline.outputs.map((o) => [o, 0])), deadLetters: 0, late: 0, batches: 0 };
    for (const o of pipeline.outputs) {
      this.hashes.set(o, createHash("sha256"));
      this.seqs.set(o, 0n);
    }
    this.instance = new PipelineInstance(pipeline, (node, item, reason, field) =>
      this.deadLetter({ stage: node, subject: `pipeline ${pipeline.decl.name}`, ref: refOf(item), reason, field, payload: safeJson(item) }),
    );
  }

  /** Queues a dead letter; it is written with the next batch's outputs. */
  deadLetter(letter: DeadLetter): void {
    this.pendingDead.push(letter);
    this.counters.deadLetters++;
    this.metrics?.deadLetter(letter);
  }

  /**
   * Processes one batch of inputs in event-time order: `sources[i]` is the source index of `items[i]`.
   * `watermark`: every input with an earlier event time has now been given.
   */
  async process(sources: ArrayLike<number>, items: readonly Timed[], watermark: bigint): Promise<void> {
    const names = this.pipeline.sources;
    let start = 0;
    for (let i = 1; i <= items.length; i++) {
      if (i === items.length || sources[i] !== sources[start]) {
        // Inputs before the next run's first item are all delivered.
        const w = i === items.length ? watermark : items[i]!.tsEvent;
        this.instance.push(names[sources[start]!]!.name, items.slice(start, i), w < watermark ? w : watermark);
        this.metrics?.inputs(names[sources[start]!]!.kind, i - start);
        start = i;
      }
    }
    this.instance.advance(watermark);
    this.counters.inputs += items.length;
    this.counters.batches++;
    await this.flushOutputs();
  }

  /** Ends the run: flushes what waits on watermarks, writes the last outputs, closes sinks. */
  async finish(): Promise<RunSummary> {
    if (!this.finished) {
      this.finished = true;
      this.instance.finish();
      await this.flushOutputs();
      for (const s of new Set(this.sinks.map((x) => x.sink))) await s.close?.();
      this.instance.dispose();
    }
    return this.summary();
  }

  summary(): RunSummary {
    const perNodeDigest: Record<string, string> = {};
    const all = createHash("sha256");
    for (const [node, h] of this.hashes) {
      const d = h.copy().digest("hex");
      perNodeDigest[node] = d;
      all.update(`${node}:${d}\n`);
    }
    return { runId: this.runId, pipeline: this.pipeline.decl.name, counters: { ...this.counters, outputs: { ...this.counters.outputs } }, digest: all.digest("hex"), perNodeDigest };
  }

  private async flushOutputs(): Promise<void> {
    const outputs = this.instance.takeOutputs();
    const writes: Promise<void>[] = [];
    for (const [node, items] of outputs) {
      if (items.length === 0) continue;
      const kind = this.pipeline.kindOf(node);
      const type = KINDS[kind];
      const h = this.hashes.get(node)!;
      for (const item of items) h.update(type.encodeBytes(item as never));
      const first = this.seqs.get(node)!;
      this.seqs.set(node, first + BigInt(items.length));
      this.counters.outputs[node] = (this.counters.outputs[node] ?? 0) + items.length;
      this.metrics?.outputs(node, kind, items);
      for (const { sink, input } of this.sinks) if (input === node) writes.push(this.timed(sink.name, sink.write(node, kind, items, first)));
    }
    if (this.pendingDead.length && this.deadLetters) {
      const dead = this.pendingDead;
      this.pendingDead = [];
      writes.push(this.timed("dead_letters", this.deadLetters.write(dead)));
    }
    await Promise.all(writes);
  }

  private timed(sink: string, write: Promise<void>): Promise<void> {
    const m = this.metrics;
    if (!m) return write;
    const t0 = performance.now();
    return write.then(() => m.sinkCommitted(sink, (performance.now() - t0) / 1000));
  }
}

function refOf(item: unknown): string {
  const o = item as { id?: unknown; symbol?: unknown; tsEvent?: unknown };
  if (typeof o?.id === "string") return o.id;
  return `${String(o?.symbol ?? "?")}@${String(o?.tsEvent ?? "?")}`;
}

export function safeJson(item: unknown): string {
  try {
    return JSON.stringify(item, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(item);
  } catch {
    return String(item);
  }
}
