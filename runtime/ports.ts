// The ports of a run: what the run driver (runtime/runDriver.ts) needs from the outside world. An input port hands
// it ordered batches; output ports commit what nodes emit; a recorder keeps the inputs; a journal keeps the run
// record. Connectors (sources/, sinks/, replay/) implement them; the driver names none of them.
import type { Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import type { ItemColumns } from "../core/chunk.ts";

/** Anything that flows into a pipeline: it has an event time. */
export interface Timed {
  readonly tsEvent: bigint;
}

/** Where an input came from, kept beside it in the recording (JetStream: subject and stream sequence). */
export interface InputOrigin {
  readonly subject: string;
  readonly streamSeq: bigint;
}

/**
 * A run of consecutive inputs of one source within a batch, as rows or as columns (core/chunk.ts ItemColumns): what
 * a port that reads columns (the recording) hands over, so that no object per input is built unless one is read.
 */
export type InputSegment = { readonly source: number } & ({ readonly items: readonly Timed[] } | { readonly columns: ItemColumns<Timed> });

/** One batch an input port hands the driver: inputs in the order the pipeline must see them. */
export interface InputBatch {
  /** The inputs as rows (with `segments`, built from them when read). */
  readonly items: readonly Timed[];
  /** The declared source (its rank) of each item. */
  readonly sources: ArrayLike<number>;
  /** The same inputs as runs of one source each, some held as columns; the driver reads these when present. */
  readonly segments?: readonly InputSegment[];
  /** Every input with an earlier event time is in this or an earlier batch. Never decreases. */
  readonly watermark: bigint;
  /** Where each item came from; present when the inputs are to be recorded (live), absent in replay. */
  readonly origins?: readonly InputOrigin[];
  /** Inputs the port rejected (undecodable, late, duplicate): written with this batch's outputs. */
  readonly deadLetters?: readonly DeadLetter[];
  /**
   * Called once everything this batch produced is committed (recorded, published): acknowledges the source
   * positions (JetStream acks). After it, a crash never delivers these inputs again.
   */
  commit?(): void | Promise<void>;
  /**
   * The input's position once this batch is committed (plain data: per lane, what has been committed), saved with
   * the run's checkpoint in the batch's record transaction; `InputPort.resume` continues from it.
   */
  position?(): unknown;
}

/** How many inputs a batch holds and the event time of its last one, without building rows from its columns. */
export function batchExtent(b: InputBatch): { readonly count: number; readonly lastTsEvent: bigint | undefined } {
  if (!b.segments) return { count: b.items.length, lastTsEvent: b.items[b.items.length - 1]?.tsEvent };
  let count = 0;
  for (const s of b.segments) count += "columns" in s ? s.columns.length : s.items.length;
  const last = b.segments[b.segments.length - 1];
  const lastTsEvent = last === undefined ? undefined : "columns" in last ? last.columns.lastTsEvent : last.items[last.items.length - 1]?.tsEvent;
  return { count, lastTsEvent };
}

/** A source of batches: the live JetStream consumers, the recording, a file, a test's list. */
export interface InputPort {
  readonly name: string;
  /** Opens connections and consumers; called once before `batches()`. */
  open?(): Promise<void>;
  /**
   * Continues from a checkpointed position (what a batch's `position()` returned) instead of where the source
   * would start; called before `open()` when a run resumes. An input without it cannot be resumed.
   */
  resume?(position: unknown): void;
  /**
   * Yields batches until the input ends, or until `stop()` was called and what the port holds was yielded.
   * The driver pulls the next batch only after committing the previous one: that is the backpressure.
   * Throws when the input fails.
   */
  batches(): AsyncIterable<InputBatch>;
  /**
   * Asks the port to end: it stops reading and ends `batches()`, after handing over what it holds (`drain`, the
   * default), or at once (a checkpointed run: what it holds is delivered again to the run's next start).
   */
  stop?(options?: { drain?: boolean }): Promise<void>;
  /** Releases everything; called once after the run ended (also after a failure). */
  close?(): Promise<void>;
  /**
   * Messages not yet delivered, per consumer, asked of the broker now (not as of the last delivery, which a stuck
   * run never updates); for metrics at scrape time. An input without a broker has none.
   */
  backlog?(): Promise<Record<string, number>>;
}

/**
 * When an output port's write happens within a batch's commit: `record` (the recording) first, then `effect`
 * (publishes and calls other systems see; never before what they announce is recorded), then `observe` (console,
 * a dashboard, a test's collector).
 */
export type OutputStage = "record" | "effect" | "observe";

/**
 * A message an effect port sends, encoded: a checkpointed run records it in its outbox within the batch's record
 * transaction, sends it after the commit, and sends it again after a crash (receivers dedupe by `id`).
 */
export interface OutboxMessage {
  readonly subject: string;
  /** Stable across runs and restarts (JetStream: the Nats-Msg-Id). */
  readonly id: string;
  readonly data: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How an effect port goes through the outbox: what it would send, and sending it. */
export interface OutboxSender {
  /** Names the port's rows in the outbox; unique among a run's ports. */
  readonly outbox: string;
  /** Sends (JetStream: publishes) messages; resolves once every one is stored by the receiver. */
  send(messages: readonly OutboxMessage[]): Promise<void>;
}

/** Receives the items one node emitted in a batch. The write is committed when its promise resolves. */
export interface OutputPort {
  readonly name: string;
  readonly stage: OutputStage;
  /** `firstSeq` numbers the node's items in emission order across the run. */
  write(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): Promise<void>;
  /** Effect ports that can go through the outbox: the messages `write` would send. */
  encode?(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): OutboxMessage[];
  /** With `encode`: sends what the outbox holds. */
  readonly sender?: OutboxSender;
  /** Writes what it buffered (a replay recorder buffers); called at the end of the run. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** Receives dead letters: rejected inputs and items operators could not process. */
export interface DeadLetterPort {
  readonly stage: OutputStage;
  /** `firstSeq` numbers the letters within the run. */
  write(letters: readonly DeadLetter[], firstSeq: bigint): Promise<void>;
  /** As OutputPort.encode / sender: effect ports that go through the outbox. */
  encode?(letters: readonly DeadLetter[], firstSeq: bigint): OutboxMessage[];
  readonly sender?: OutboxSender;
}

/** Records the inputs of a batch (live runs), beside the outputs, before anything is acknowledged. */
export interface InputRecorder {
  record(batch: InputBatch, kindOf: (source: number) => Kind): Promise<void>;
}

/** A checkpoint as stored: the run's state and its input's position, encoded (core/stateCodec.ts). */
export interface StoredCheckpoint {
  /** Numbers the run's checkpoints, from 1. */
  readonly seq: bigint;
  readonly state: string;
}

/**
 * Where a live run keeps its checkpoints: `transaction` makes a batch's recording (inputs, outputs, dead letters)
 * and its checkpoint one atomic write, so after a crash the recording and the checkpoint always describe the same
 * cut of the run.
 */
export interface CheckpointStore {
  latest(runId: string): Promise<StoredCheckpoint | undefined>;
  /** Runs `fn` (the record stage's writes, then `save`) as one transaction; nothing of it is kept if it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  save(runId: string, checkpoint: StoredCheckpoint & { readonly batches: number; readonly inputs: number; readonly watermark: bigint }): Promise<void>;
  /** Records messages to send (in the transaction), numbered from `firstSeq`. */
  addToOutbox(runId: string, firstSeq: bigint, entries: readonly OutboxEntry[]): Promise<void>;
  /** Forgets what was sent: every entry numbered up to `seq`. */
  clearOutbox(runId: string, seq: bigint): Promise<void>;
  /** What the outbox still holds, in order: the last batch's effects, if the run stopped before they were confirmed sent. */
  outbox(runId: string): Promise<(OutboxEntry & { readonly seq: bigint })[]>;
}

/** One outbox row: the port that sends it and the message. */
export interface OutboxEntry {
  readonly outbox: string;
  readonly message: OutboxMessage;
}

export type { RunMode } from "../pipeline/connectorSpec.ts";
/** How a run ended; `interrupted`: its process died (found so by the next run on the file). */
export type RunStatus = "finished" | "stopped" | "failed" | "interrupted";
