// The run driver: the one loop every run goes through, live, replay, the lookahead check and tests alike.
//
//   input port → batch → inputs recorded ─┐
//                      → PipelineRun.step → outputs ─ record stage ─┴→ effect stage → observe stage → batch.commit()
//
// Per batch, in this order: the pipeline computes (synchronously); the recording commits the batch's inputs,
// outputs and dead letters; effects (publishes) go out; observers see the outputs; then the input port
// acknowledges the batch's source positions. Once `commit()` returns, the recording, the published messages
// and the acknowledged positions describe one consistent cut of the run. A checkpointed (live) run writes its
// checkpoint (operator state, digests, the input's positions) in the record stage's transaction, so the recording
// and the checkpoint can never disagree, and a restarted run resumes from the last one exactly.
// Nothing is acknowledged after a failure; the journal records how the run ended.
import { PipelineRun, type RunCheckpoint, type RunMetrics, type RunSummary, type StepResult } from "./pipelineRun.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type {
  CheckpointStore,
  DeadLetterPort,
  InputBatch,
  InputPort,
  InputRecorder,
  OutputPort,
  OutboxEntry,
  OutboxSender,
  OutputStage,
  RunMode,
  RunStatus,
  StoredCheckpoint,
} from "./ports.ts";
import { decodeState, encodeState } from "../core/stateCodec.ts";
import { StateRestoreError } from "../core/state.ts";

/** Keeps the run record (DuckDB's `runs` table); the wall clock lives in the implementation, not here. */
export interface RunJournal {
  /** `resumedFrom`: the run continues from its checkpoint with this number (its record exists). */
  start(run: { runId: string; pipeline: CompiledPipeline; mode: RunMode; resumedFrom?: { seq: bigint; inputs: number } }): Promise<void>;
  finish(summary: RunSummary, status: RunStatus): Promise<void>;
}

/** What a checkpoint holds: the run's state and the input's position after the same batch, and the outbox's numbering. */
interface CheckpointData {
  readonly run: RunCheckpoint;
  readonly input: unknown;
  /** The number the next outbox entry gets. */
  readonly outboxSeq: bigint;
}

/** An output port bound to the node whose items it receives. */
export interface BoundOutput {
  readonly port: OutputPort;
  readonly node: string;
}

export interface RunDriverOptions {
  readonly pipeline: CompiledPipeline;
  readonly runId: string;
  readonly mode: RunMode;
  readonly input: InputPort;
  readonly outputs?: readonly BoundOutput[];
  readonly deadLetters?: readonly DeadLetterPort[];
  /** Records the inputs of batches that carry origins (live). */
  readonly recorder?: InputRecorder;
  readonly journal?: RunJournal;
  /**
   * Checkpoints the run after every batch, in the transaction of the batch's recording, and resumes from the latest
   * one at start. A checkpointed run that stops is not flushed: open windows and bars stay in its checkpoint for the
   * next start of the same run id, so a stop and restart compute what an uninterrupted run computes.
   */
  readonly checkpoints?: CheckpointStore;
  /**
   * Writes of the composition that belong to a batch's recording (a live run's model installs): called in the
   * record stage, inside the checkpoint transaction when there is one, after the batch's own records.
   */
  readonly recordWithBatch?: () => Promise<void>;
  /**
   * Whether the end of the input ends the stream (flushing open windows and bars; default true). False: the input
   * stops where a still-open run stands (a replay up to a live run's checkpoint).
   */
  readonly flushAtEnd?: boolean;
  readonly metrics?: RunMetrics;
  /** Called after each committed batch (progress bars, live bookkeeping). */
  readonly onCommitted?: (batch: InputBatch, run: PipelineRun) => void;
}

const STAGES: readonly OutputStage[] = ["record", "effect", "observe"];

export class RunDriver {
  readonly run: PipelineRun;
  private stopRequested = false;
  private started = false;
  private checkpointSeq = 0n;
  /** Next outbox entry number; entries up to `outboxSent` have been confirmed sent (and are cleared with the next batch). */
  private outboxSeq = 1n;
  private outboxSent = 0n;
  private outboxCleared = 0n;
  /** The checkpoint this run resumed from, if it did. */
  resumedFrom?: StoredCheckpoint;
  private markOpened!: () => void;
  /** Resolves once the run has resumed (if it does) and its input is open. */
  readonly opened = new Promise<void>((r) => (this.markOpened = r));

  /** The run's outbox senders by name. */
  private readonly senders = new Map<string, OutboxSender>();

  constructor(private readonly o: RunDriverOptions) {
    this.run = new PipelineRun(o.pipeline, o.runId, o.metrics);
    for (const p of [...this.ports(), ...(o.deadLetters ?? [])]) if (viaOutbox(p)) this.senders.set(p.sender!.outbox, p.sender!);
    for (const b of o.outputs ?? []) {
      if (!o.pipeline.outputs.includes(b.node))
        throw new Error(
          `pipeline ${o.pipeline.decl.name}: output port ${b.port.name} reads "${b.node}", which no sink declares (outputs: ${o.pipeline.outputs.join(", ")})`,
        );
    }
  }

  /** Runs until the input ends (replay) or `stop()` was called and the input drained (live). */
  async execute(): Promise<RunSummary> {
    if (this.started) throw new Error(`run ${this.o.runId} was already executed`);
    this.started = true;
    const { input, journal, checkpoints } = this.o;
    let status: RunStatus = "failed";
    let journaled = false;
    try {
      if (checkpoints) await this.resume(checkpoints);
      await journal?.start({
        runId: this.o.runId,
        pipeline: this.o.pipeline,
        mode: this.o.mode,
        resumedFrom: this.resumedFrom && { seq: this.resumedFrom.seq, inputs: this.run.counters.inputs },
      });
      journaled = true;
      await input.open?.();
      this.markOpened();
      for await (const batch of input.batches()) {
        for (const l of batch.deadLetters ?? []) this.run.deadLetter(l);
        const result = this.run.stepBatch(batch);
        await this.commit(result, batch);
        await batch.commit?.();
        this.o.onCommitted?.(batch, this.run);
      }
      // A checkpointed run that was stopped keeps what waits on watermarks in its checkpoint; flushing it would
      // emit bars and windows early, which an uninterrupted run would not.
      if (!(checkpoints && this.stopRequested) && this.o.flushAtEnd !== false) await this.commit(this.run.end());
      for (const p of this.ports()) await p.flush?.();
      status = this.stopRequested ? "stopped" : "finished";
      return this.run.summary();
    } finally {
      for (const p of this.ports()) await p.close?.();
      await input.close?.();
      // A journal that cannot be written must not hide the run's own error.
      if (journal && journaled)
        await journal.finish(this.run.summary(), status).catch((e) => {
          if (status !== "failed") throw e;
        });
    }
  }

  /** Restores the latest checkpoint of this run id, if there is one, into the run and its input. */
  private async resume(store: CheckpointStore): Promise<void> {
    this.run.assertCheckpointable();
    const latest = await store.latest(this.o.runId);
    if (!latest) return;
    const data = decodeState(latest.state) as CheckpointData;
    this.run.restore(data.run);
    if (data.input !== undefined) {
      if (!this.o.input.resume)
        throw new StateRestoreError(`run ${this.o.runId}: its checkpoint holds source positions, but input ${this.o.input.name} cannot resume from them`);
      this.o.input.resume(data.input);
    }
    this.checkpointSeq = latest.seq;
    this.outboxSeq = data.outboxSeq;
    this.resumedFrom = latest;
    await this.resendOutbox(store);
  }

  /**
   * Sends again what the last committed batch recorded in the outbox and a crash may have kept from going out:
   * receivers dedupe by message id (JetStream within its duplicate window), so what was sent is not doubled there.
   */
  private async resendOutbox(store: CheckpointStore): Promise<void> {
    const pending = await store.outbox(this.o.runId);
    if (pending.length === 0) return;
    for (const [name, entries] of groupBy(pending, (e) => e.outbox)) {
      const sender = this.senders.get(name);
      if (!sender) throw new StateRestoreError(`run ${this.o.runId}: its outbox holds messages for ${name}, which this pipeline no longer sends to`);
      await sender.send(entries.map((e) => e.message));
    }
    const last = pending[pending.length - 1]!.seq;
    await store.clearOutbox(this.o.runId, last);
    this.outboxSent = this.outboxCleared = last;
  }

  /** Asks the input to end; `execute()` then processes what the input still hands over, and resolves. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.o.input.stop?.({ drain: !this.o.checkpoints });
  }

  private ports(): OutputPort[] {
    return [...new Set((this.o.outputs ?? []).map((b) => b.port))];
  }

  /** Commits one step's results stage by stage; inputs are recorded with the record stage, with the checkpoint. */
  private async commit(result: StepResult, batch?: InputBatch): Promise<void> {
    // What the record transaction put in the outbox, for the effect stage to send.
    let effects: OutboxEntry[] = [];
    for (const stage of STAGES) {
      const store = this.o.checkpoints;
      if (!store || !batch) {
        await this.writeStage(stage, result, batch);
        if (stage === "record") await this.o.recordWithBatch?.();
      } else if (stage === "record") {
        effects = this.effects(result);
        await store.transaction(async () => {
          if (this.outboxSent > this.outboxCleared) {
            await store.clearOutbox(this.o.runId, this.outboxSent);
            this.outboxCleared = this.outboxSent;
          }
          await this.writeStage(stage, result, batch);
          await this.o.recordWithBatch?.();
          await store.addToOutbox(this.o.runId, this.outboxSeq, effects);
          const outboxSeq = this.outboxSeq + BigInt(effects.length);
          const seq = ++this.checkpointSeq;
          const data: CheckpointData = { run: this.run.checkpoint(), input: batch.position?.(), outboxSeq };
          const c = this.run.counters;
          await store.save(this.o.runId, { seq, state: encodeState(data, "checkpoint"), batches: c.batches, inputs: c.inputs, watermark: batch.watermark });
          this.outboxSeq = outboxSeq;
        });
      } else if (stage === "effect") {
        // What the transaction recorded in the outbox goes out now; ports without an outbox write as usual.
        const sends: Promise<void>[] = [];
        for (const [name, entries] of groupBy(effects, (e) => e.outbox)) {
          sends.push(this.timed(name, this.senders.get(name)!.send(entries.map((e) => e.message))));
        }
        sends.push(this.writeStage(stage, result, batch, (p) => !viaOutbox(p)));
        await settleAll(sends);
        this.outboxSent = this.outboxSeq - 1n;
      } else {
        await this.writeStage(stage, result, batch);
      }
    }
  }

  /** The messages this step's effect ports with an outbox would send, in port and node order. */
  private effects(result: StepResult): OutboxEntry[] {
    const entries: OutboxEntry[] = [];
    for (const out of result.outputs) {
      for (const b of this.o.outputs ?? []) {
        if (b.node !== out.node || b.port.stage !== "effect" || !viaOutbox(b.port)) continue;
        for (const message of b.port.encode!(out.node, out.kind, out.items, out.firstSeq)) entries.push({ outbox: b.port.sender!.outbox, message });
      }
    }
    if (result.deadLetters.length) {
      for (const d of this.o.deadLetters ?? []) {
        if (d.stage !== "effect" || !viaOutbox(d)) continue;
        for (const message of d.encode!(result.deadLetters, result.deadLetterSeq)) entries.push({ outbox: d.sender!.outbox, message });
      }
    }
    return entries;
  }

  private async writeStage(
    stage: OutputStage,
    result: StepResult,
    batch?: InputBatch,
    include: (port: OutputPort | DeadLetterPort) => boolean = () => true,
  ): Promise<void> {
    const writes: Promise<void>[] = [];
    if (stage === "record" && batch?.origins && this.o.recorder && batch.items.length) {
      writes.push(
        this.timed(
          "inputs",
          this.o.recorder.record(batch, (s) => this.o.pipeline.sources[s]!.kind),
        ),
      );
    }
    for (const out of result.outputs) {
      for (const b of this.o.outputs ?? []) {
        if (b.node === out.node && b.port.stage === stage && include(b.port))
          writes.push(this.timed(b.port.name, b.port.write(out.node, out.kind, out.items, out.firstSeq)));
      }
    }
    if (result.deadLetters.length) {
      for (const d of this.o.deadLetters ?? [])
        if (d.stage === stage && include(d)) writes.push(this.timed("dead_letters", d.write(result.deadLetters, result.deadLetterSeq)));
    }
    if (writes.length) await settleAll(writes);
  }

  private timed(port: string, write: Promise<void>): Promise<void> {
    const m = this.o.metrics;
    if (!m) return write;
    const t0 = performance.now();
    return write.then(() => m.sinkCommitted(port, (performance.now() - t0) / 1000));
  }
}

/** An effect port that encodes what it sends and has a sender: a checkpointed run sends through the outbox. */
const viaOutbox = (p: OutputPort | DeadLetterPort): boolean => p.encode !== undefined && p.sender !== undefined;

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(x);
  return m;
}

/** Waits for every write, then throws the first failure (no write is left running unobserved). */
async function settleAll(writes: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
