// The ports of a run: what the run driver (runtime/runDriver.ts) needs from the outside world. An input port hands
// it ordered batches; output ports commit what nodes emit; a recorder keeps the inputs; a journal keeps the run
// record. Connectors (sources/, sinks/, replay/) implement them; the driver names none of them.
import type { Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";

/** Anything that flows into a pipeline: it has an event time. */
export interface Timed {
  readonly tsEvent: bigint;
}

/** Where an input came from, kept beside it in the recording (JetStream: subject and stream sequence). */
export interface InputOrigin {
  readonly subject: string;
  readonly streamSeq: bigint;
}

/** One batch an input port hands the driver: inputs in the order the pipeline must see them. */
export interface InputBatch {
  readonly items: readonly Timed[];
  /** The declared source (its rank) of each item. */
  readonly sources: ArrayLike<number>;
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
}

/** A source of batches: the live JetStream consumers, the recording, a file, a test's list. */
export interface InputPort {
  readonly name: string;
  /** Opens connections and consumers; called once before `batches()`. */
  open?(): Promise<void>;
  /**
   * Yields batches until the input ends, or until `stop()` was called and what the port holds was yielded.
   * The driver pulls the next batch only after committing the previous one: that is the backpressure.
   * Throws when the input fails.
   */
  batches(): AsyncIterable<InputBatch>;
  /** Asks the port to end: it stops reading, hands back what it cannot process, and ends `batches()`. */
  stop?(): Promise<void>;
  /** Releases everything; called once after the run ended (also after a failure). */
  close?(): Promise<void>;
}

/**
 * When an output port's write happens within a batch's commit: `record` (the recording) first, then `effect`
 * (publishes and calls other systems see; never before what they announce is recorded), then `observe` (console,
 * a dashboard, a test's collector).
 */
export type OutputStage = "record" | "effect" | "observe";

/** Receives the items one node emitted in a batch. The write is committed when its promise resolves. */
export interface OutputPort {
  readonly name: string;
  readonly stage: OutputStage;
  /** `firstSeq` numbers the node's items in emission order across the run. */
  write(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): Promise<void>;
  /** Writes what it buffered (a replay recorder buffers); called at the end of the run. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** Receives dead letters: rejected inputs and items operators could not process. */
export interface DeadLetterPort {
  readonly stage: OutputStage;
  write(letters: readonly DeadLetter[]): Promise<void>;
}

/** Records the inputs of a batch (live runs), beside the outputs, before anything is acknowledged. */
export interface InputRecorder {
  record(batch: InputBatch, kindOf: (source: number) => Kind): Promise<void>;
}

export type { RunMode } from "../pipeline/connectorSpec.ts";
export type RunStatus = "finished" | "stopped" | "failed";
