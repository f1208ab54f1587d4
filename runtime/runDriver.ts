// The run driver: the one loop every run goes through, live, replay, the lookahead check and tests alike.
//
//   input port → batch → inputs recorded ─┐
//                      → PipelineRun.step → outputs ─ record stage ─┴→ effect stage → observe stage → batch.commit()
//
// Per batch, in this order: the pipeline computes (synchronously); the recording commits the batch's inputs,
// outputs and dead letters; effects (publishes) go out; observers see the outputs; then the input port
// acknowledges the batch's source positions. Once `commit()` returns, the recording, the published messages
// and the acknowledged positions describe one consistent cut of the run: that is where a checkpoint belongs.
// Nothing is acknowledged after a failure; the journal records how the run ended.
import { PipelineRun, type RunMetrics, type RunSummary, type StepResult } from "./pipelineRun.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { DeadLetterPort, InputBatch, InputPort, InputRecorder, OutputPort, OutputStage, RunMode, RunStatus } from "./ports.ts";

/** Keeps the run record (DuckDB's `runs` table); the wall clock lives in the implementation, not here. */
export interface RunJournal {
  start(run: { runId: string; pipeline: CompiledPipeline; mode: RunMode }): Promise<void>;
  finish(summary: RunSummary, status: RunStatus): Promise<void>;
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
  readonly metrics?: RunMetrics;
  /** Called after each committed batch (progress bars, live bookkeeping). */
  readonly onCommitted?: (batch: InputBatch, run: PipelineRun) => void;
}

const STAGES: readonly OutputStage[] = ["record", "effect", "observe"];

export class RunDriver {
  readonly run: PipelineRun;
  private stopRequested = false;
  private started = false;

  constructor(private readonly o: RunDriverOptions) {
    this.run = new PipelineRun(o.pipeline, o.runId, o.metrics);
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
    const { input, journal } = this.o;
    let status: RunStatus = "failed";
    try {
      await input.open?.();
      await journal?.start({ runId: this.o.runId, pipeline: this.o.pipeline, mode: this.o.mode });
      for await (const batch of input.batches()) {
        for (const l of batch.deadLetters ?? []) this.run.deadLetter(l);
        const result = this.run.step(batch.sources, batch.items, batch.watermark);
        await this.commit(result, batch);
        await batch.commit?.();
        this.o.onCommitted?.(batch, this.run);
      }
      await this.commit(this.run.end());
      for (const p of this.ports()) await p.flush?.();
      status = this.stopRequested ? "stopped" : "finished";
      return this.run.summary();
    } finally {
      for (const p of this.ports()) await p.close?.();
      await input.close?.();
      // A journal that cannot be written must not hide the run's own error.
      if (journal)
        await journal.finish(this.run.summary(), status).catch((e) => {
          if (status !== "failed") throw e;
        });
    }
  }

  /** Asks the input to end; `execute()` then processes what the input still hands over, and resolves. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.o.input.stop?.();
  }

  private ports(): OutputPort[] {
    return [...new Set((this.o.outputs ?? []).map((b) => b.port))];
  }

  /** Commits one step's results stage by stage; inputs are recorded with the record stage. */
  private async commit(result: StepResult, batch?: InputBatch): Promise<void> {
    for (const stage of STAGES) {
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
          if (b.node === out.node && b.port.stage === stage) writes.push(this.timed(b.port.name, b.port.write(out.node, out.kind, out.items, out.firstSeq)));
        }
      }
      if (result.deadLetters.length) {
        for (const d of this.o.deadLetters ?? []) if (d.stage === stage) writes.push(this.timed("dead_letters", d.write(result.deadLetters)));
      }
      if (writes.length) await settleAll(writes);
    }
  }

  private timed(port: string, write: Promise<void>): Promise<void> {
    const m = this.o.metrics;
    if (!m) return write;
    const t0 = performance.now();
    return write.then(() => m.sinkCommitted(port, (performance.now() - t0) / 1000));
  }
}

/** Waits for every write, then throws the first failure (no write is left running unobserved). */
async function settleAll(writes: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
