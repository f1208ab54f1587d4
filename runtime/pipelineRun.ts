// PipelineRun: the computing half of a run. Feeds ordered input batches through a PipelineInstance (fresh operator
// state), and returns what each batch produced: outputs per node (numbered, hashed into the digest) and dead
// letters. It commits nothing: the run driver (runDriver.ts) hands the outputs to the ports in stage order.
import { createHash } from "node:crypto";
import { PipelineInstance, type CompiledPipeline } from "../pipeline/graph.ts";
import type { SavedCell } from "../core/state.ts";
import { StateRestoreError } from "../core/state.ts";
import { ChainedDigest, type ChainedDigestState } from "./chainedDigest.ts";
import { KINDS, type Kind } from "../schemas/kinds.ts";
import type { InputBatch, InputSegment, Timed } from "./ports.ts";
import { boundDeadLetter, type DeadLetter } from "../schemas/deadLetter.ts";

export interface RunCounters {
  inputs: number;
  outputs: Record<string, number>;
  deadLetters: number;
  late: number;
  /** Inputs dropped because an input with the same message id was already processed. */
  duplicates: number;
  batches: number;
}

/**
 * Optional instrumentation a run calls (ops/metrics.ts implements it). Calls must be cheap and must not throw;
 * `items` are the emitted (immutable) outputs, handed over for observers such as a dashboard.
 */
export interface RunMetrics {
  inputs(sourceKind: string, count: number): void;
  /** The input items themselves, per run of one source (a dashboard charts input bars); optional. */
  inputItems?(source: string, kind: Kind, items: readonly unknown[]): void;
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
  /** A JetStream consumer was recreated because its ack state diverged from the run's. */
  consumerRepositioned?(consumer: string): void;
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

/** The outputs of one node in one batch: `firstSeq` numbers them within the node across the run. */
export interface NodeOutput {
  readonly node: string;
  readonly kind: Kind;
  readonly items: readonly unknown[];
  readonly firstSeq: bigint;
}

/** What one batch (or the end of the input) produced. */
export interface StepResult {
  readonly outputs: readonly NodeOutput[];
  readonly deadLetters: readonly DeadLetter[];
  /** Numbers the dead letters within the run: the first one's number. */
  readonly deadLetterSeq: bigint;
}

/**
 * Everything a run must remember to continue exactly after its last committed batch: operator state, the chained
 * digests, output numbering, counters and source watermarks. Plain data (core/stateCodec.ts encodes it).
 */
export interface RunCheckpoint {
  readonly format: 1;
  readonly pipeline: string;
  /** SHA-256 of the pipeline declaration: a checkpoint resumes only the pipeline that wrote it. */
  readonly fingerprint: string;
  readonly counters: RunCounters;
  readonly seqs: Record<string, bigint>;
  readonly digests: Record<string, ChainedDigestState>;
  readonly deadLetterSeq: bigint;
  readonly sourceWatermarks: Record<string, bigint>;
  readonly operators: Record<string, SavedCell>;
}

/** Identifies a pipeline declaration (its parsed form, so comments and layout do not count). */
export function pipelineFingerprint(p: CompiledPipeline): string {
  return createHash("sha256").update(safeJson(p.decl)).digest("hex");
}

export class PipelineRun {
  readonly instance: PipelineInstance;
  readonly counters: RunCounters;
  private readonly hashes = new Map<string, ChainedDigest>();
  private readonly seqs = new Map<string, bigint>();
  private pendingDead: DeadLetter[] = [];
  private deadSeq = 0n;
  private readonly fingerprint: string;
  private ended = false;

  constructor(
    readonly pipeline: CompiledPipeline,
    readonly runId: string,
    private readonly metrics?: RunMetrics,
  ) {
    this.fingerprint = pipelineFingerprint(pipeline);
    this.counters = { inputs: 0, outputs: Object.fromEntries(pipeline.outputs.map((o) => [o, 0])), deadLetters: 0, late: 0, duplicates: 0, batches: 0 };
    for (const o of pipeline.outputs) {
      this.hashes.set(o, new ChainedDigest());
      this.seqs.set(o, 0n);
    }
    this.instance = new PipelineInstance(pipeline, (node, item, reason, field) =>
      this.deadLetter({ stage: node, subject: `pipeline ${pipeline.decl.name}`, ref: refOf(item), reason, field, payload: safeJson(item) }),
    );
  }

  /** Queues a dead letter (counted now); the next step returns it, its payload bounded so that it always fits NATS. */
  deadLetter(letter: DeadLetter): void {
    this.pendingDead.push(boundDeadLetter(letter));
    this.counters.deadLetters++;
    if (letter.stage === "late") this.counters.late++;
    if (letter.stage === "duplicate") this.counters.duplicates++;
    this.metrics?.deadLetter(letter);
  }

  /**
   * Processes one batch of inputs in event-time order: `sources[i]` is the source index of `items[i]`.
   * `watermark`: every input with an earlier event time has now been given.
   */
  step(sources: ArrayLike<number>, items: readonly Timed[], watermark: bigint): StepResult {
    return this.feed(runsOf(sources, items), watermark);
  }

  /**
   * Feeds one input batch: its segments when it has them (runs of one source, some as columns), else its items. The
   * outputs are the same either way: operators' results do not depend on how the input is cut (core/chunk.ts).
   */
  stepBatch(batch: InputBatch): StepResult {
    return batch.segments ? this.feed(batch.segments, batch.watermark) : this.step(batch.sources, batch.items, batch.watermark);
  }

  /** Pushes each segment with the watermark its successor's first item sets, then the batch's own watermark. */
  private feed(segments: readonly InputSegment[], watermark: bigint): StepResult {
    const names = this.pipeline.sources;
    let n = 0;
    for (let k = 0; k < segments.length; k++) {
      const seg = segments[k]!;
      const next = segments[k + 1];
      // Inputs before the next segment's first item are all delivered.
      const w = next === undefined ? watermark : "columns" in next ? next.columns.firstTsEvent : next.items[0]!.tsEvent;
      const source = names[seg.source]!;
      const at = w < watermark ? w : watermark;
      const count = "columns" in seg ? seg.columns.length : seg.items.length;
      if ("columns" in seg) this.instance.pushColumns(source.name, seg.columns, at);
      else this.instance.push(source.name, seg.items, at);
      this.metrics?.inputs(source.kind, count);
      if (this.metrics?.inputItems) this.metrics.inputItems(source.name, source.kind, "columns" in seg ? seg.columns.rows() : seg.items);
      n += count;
    }
    this.instance.advance(watermark);
    this.counters.inputs += n;
    this.counters.batches++;
    return this.collect();
  }

  /** Ends the input: flushes what waits on watermarks (open windows, bars) and returns it. */
  end(): StepResult {
    if (this.ended) return { outputs: [], deadLetters: [], deadLetterSeq: this.deadSeq };
    this.ended = true;
    this.instance.finish();
    const r = this.collect();
    this.instance.dispose();
    return r;
  }

  /** Whether every operator's state can be saved (throws naming the node that cannot); call before the first batch. */
  assertCheckpointable(): void {
    this.instance.state.assertCheckpointable();
  }

  /** The run's state after the last step (call between steps, once its results were taken). */
  checkpoint(): RunCheckpoint {
    if (this.pendingDead.length) throw new Error(`run ${this.runId}: checkpoint with ${this.pendingDead.length} dead letter(s) not yet taken by a step`);
    return {
      format: 1,
      pipeline: this.pipeline.decl.name,
      fingerprint: this.fingerprint,
      counters: { ...this.counters, outputs: { ...this.counters.outputs } },
      seqs: Object.fromEntries(this.seqs),
      digests: Object.fromEntries([...this.hashes].map(([n, h]) => [n, h.save()])),
      deadLetterSeq: this.deadSeq,
      sourceWatermarks: this.instance.sourceWatermarks(),
      operators: this.instance.state.save(),
    };
  }

  /** Continues from a checkpoint of the same pipeline: call on a fresh run, before the first step. */
  restore(cp: RunCheckpoint): void {
    const name = this.pipeline.decl.name;
    if (cp.format !== 1) throw new StateRestoreError(`checkpoint format ${String(cp.format)} is not one this tickflow reads (1)`);
    if (this.counters.batches !== 0) throw new Error(`run ${this.runId}: restore before the first batch`);
    if (cp.pipeline !== name || cp.fingerprint !== this.fingerprint)
      throw new StateRestoreError(
        `the checkpoint was written by pipeline ${cp.pipeline} as it was declared then; pipeline ${name} is declared differently now, so its state would not mean the same: start a new run (another --run-id)`,
      );
    this.instance.state.load(cp.operators);
    this.instance.restoreSourceWatermarks(cp.sourceWatermarks);
    Object.assign(this.counters, { ...cp.counters, outputs: { ...cp.counters.outputs } });
    for (const o of this.pipeline.outputs) {
      this.seqs.set(o, cp.seqs[o] ?? 0n);
      this.hashes.set(o, new ChainedDigest(cp.digests[o]));
    }
    this.deadSeq = cp.deadLetterSeq;
  }

  summary(): RunSummary {
    const perNodeDigest: Record<string, string> = {};
    const all = createHash("sha256");
    for (const [node, h] of this.hashes) {
      const d = h.hex();
      perNodeDigest[node] = d;
      all.update(`${node}:${d}\n`);
    }
    return {
      runId: this.runId,
      pipeline: this.pipeline.decl.name,
      counters: { ...this.counters, outputs: { ...this.counters.outputs } },
      digest: all.digest("hex"),
      perNodeDigest,
    };
  }

  private collect(): StepResult {
    const outputs: NodeOutput[] = [];
    for (const [node, items] of this.instance.takeOutputs()) {
      if (items.length === 0) continue;
      const kind = this.pipeline.kindOf(node);
      const type = KINDS[kind];
      const h = this.hashes.get(node)!;
      for (const item of items) h.update(type.encodeText(item as never));
      const firstSeq = this.seqs.get(node)!;
      this.seqs.set(node, firstSeq + BigInt(items.length));
      this.counters.outputs[node] = (this.counters.outputs[node] ?? 0) + items.length;
      this.metrics?.outputs(node, kind, items);
      outputs.push({ node, kind, items, firstSeq });
    }
    const deadLetters = this.pendingDead;
    this.pendingDead = [];
    const deadLetterSeq = this.deadSeq;
    this.deadSeq += BigInt(deadLetters.length);
    return { outputs, deadLetters, deadLetterSeq };
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

/** Items with their sources' ranks as runs of one source each (what `step` takes, as segments). */
function runsOf(sources: ArrayLike<number>, items: readonly Timed[]): InputSegment[] {
  const runs: InputSegment[] = [];
  let start = 0;
  for (let i = 1; i <= items.length; i++) {
    if (i === items.length || sources[i] !== sources[start]) {
      runs.push({ source: sources[start]!, items: items.slice(start, i) });
      start = i;
    }
  }
  return runs;
}
