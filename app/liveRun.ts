// A live pipeline run: the JetStream input port and the pipeline's declared sinks, driven by the run driver.
// Inputs are recorded to DuckDB beside the outputs, effects (publishes) follow the recording, and messages are
// acked only after all of it committed.
import type { NatsConnection } from "@nats-io/transport-node";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { KINDS } from "../schemas/kinds.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import type { Database } from "../io/duckdb/database.ts";
import type { LiveRunMetrics, PipelineRun, RunSummary } from "../runtime/pipelineRun.ts";
import { RunDriver } from "../runtime/runDriver.ts";
import { openInput, openOutputs, Services } from "../runtime/connectors.ts";
import type { InputPort } from "../runtime/ports.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { JetStreamPublisher } from "../sinks/jetStreamPublisher.ts";
import { DeadLetterPublisher, DeadLetterRecorder, DuckDbInputRecorder, NATS, PRINT, PUBLISHER, RECORDER, SIGNING_KEYS } from "../sinks/outputSinks.ts";
import type { Keyring } from "../core/signing.ts";
import type { AuditLog } from "../ops/audit.ts";
import { runAuditPorts } from "./runAudit.ts";
import { JETSTREAM_CONSUMERS } from "../sources/jetstreamInput.ts";
import { DuckDbRunJournal } from "../replay/runs.ts";
import { DuckDbCheckpointStore } from "../replay/checkpoints.ts";
import { CONNECTORS } from "./connectors.ts";
import { checkRecording } from "./recordingCheck.ts";

export interface LiveRunOptions {
  readonly pipeline: CompiledPipeline;
  /** Where the start check's notices go (one line each; a stream lost inputs the run never read). Default: stderr. */
  readonly notice?: (line: string) => void;
  readonly nc: NatsConnection;
  readonly db: Database;
  readonly runId: string;
  /**
   * Durable consumer names start with this. Default: the run id, so that a run id is one identity: the same id
   * resumes its checkpoint and its consumers, a new id reads the feed afresh.
   */
  readonly consumerPrefix?: string;
  /** Where console sinks print. Default: stdout. */
  readonly print?: (line: string) => void;
  /** The audit trail orders, fills and kill-switch events are appended to, with each batch (app/tradingAudit.ts). */
  readonly audit?: AuditLog;
  /** The keys nats sinks sign orders, fills and signals with (app/credentials.ts). Default: from the environment. */
  readonly keyring?: Keyring;
  /** New consumers start at the first stored message ("all", default) or at messages published from now on ("new"). */
  readonly deliver?: "all" | "new";
  /** Wall-clock source for the run record only (never for operators). */
  readonly now?: () => bigint;
  /** Instrumentation (ops/metrics.ts); absent: nothing is measured. */
  readonly metrics?: LiveRunMetrics;
  /**
   * Checkpoint after every batch and resume this run id from its latest checkpoint (default true). Without, a
   * restart starts with fresh operator state (indicators warm up again) and must use a new run id.
   */
  readonly checkpoints?: boolean;
  /** Writes that belong to each batch's recording transaction (model installs, app/modelDeployment.ts). */
  readonly recordWithBatch?: () => Promise<void>;
}

export class LiveRun {
  readonly input: InputPort;
  private readonly driver: RunDriver;
  private readonly recorder: DuckDbRecorder;
  private done?: Promise<RunSummary>;
  private failureCause?: unknown;
  private readonly listeners = new Set<() => void>();
  /** Batches whose commit finished (the run counts a batch when it computes it, before the commit). */
  private committedBatches = 0;
  private rejectFailure!: (e: unknown) => void;
  /** Rejects when the run fails (a consumer or sink error); never resolves. */
  readonly failure: Promise<never> = new Promise<never>((_, reject) => (this.rejectFailure = reject));

  constructor(private readonly o: LiveRunOptions) {
    this.failure.catch(() => undefined); // observed by callers that race on it
    const p = o.pipeline;
    this.recorder = new DuckDbRecorder(o.db);
    const publisher = new JetStreamPublisher(o.nc, { attempts: Infinity, onRetry: () => o.metrics?.publishRetried?.() });
    const services = new Services()
      .provide(RECORDER, this.recorder)
      .provide(PUBLISHER, publisher)
      .provide(NATS, o.nc)
      .provide(PRINT, o.print ?? ((l) => void process.stdout.write(l + "\n")))
      .provide(JETSTREAM_CONSUMERS, { consumerPrefix: o.consumerPrefix ?? o.runId, deliver: o.deliver, metrics: o.metrics });
    if (o.keyring) services.provide(SIGNING_KEYS, o.keyring);
    const outputs = openOutputs(p, CONNECTORS, "live", o.runId, services);
    this.input = openInput(p, CONNECTORS, o.runId, services);
    const audited = o.audit && runAuditPorts(p, o.audit, o.runId);
    this.driver = new RunDriver({
      pipeline: p,
      runId: o.runId,
      mode: "live",
      input: this.input,
      outputs: audited ? [...outputs, ...audited.outputs] : outputs,
      deadLetters: [new DeadLetterRecorder(o.runId, this.recorder), new DeadLetterPublisher(o.runId, publisher), ...(audited ? [audited.deadLetters] : [])],
      recorder: new DuckDbInputRecorder(this.recorder, o.runId),
      journal: new DuckDbRunJournal(o.db, {}, o.now),
      checkpoints: o.checkpoints === false ? undefined : new DuckDbCheckpointStore(o.db),
      recordWithBatch: o.recordWithBatch,
      metrics: o.metrics,
      onCommitted: (_b, run) => {
        this.committedBatches = run.counters.batches;
        this.notify();
      },
    });
  }

  /** The computing half: counters, summary, dead letters. */
  get run(): PipelineRun {
    return this.driver.run;
  }

  /**
   * Creates the recording tables and starts the driver, which resumes the run from its checkpoint if it has one and
   * opens the consumers; resolves once consuming (rejects if the run could not start).
   */
  async start(): Promise<void> {
    // Refuses (RECORDING_BEHIND) a recording that lacks inputs the run's consumers acknowledged, before writing to it.
    await checkRecording(this.o);
    await this.recorder.ensureRecording(this.o.pipeline.sources.map((s) => KINDS[s.kind] as AnyMessageType));
    this.done = this.driver.execute();
    this.done.catch((e) => {
      this.failureCause ??= e;
      this.rejectFailure(e);
      this.notify();
    });
    await Promise.race([this.driver.opened, this.done]);
    this.committedBatches = this.run.counters.batches;
  }

  /** Undelivered messages per consumer, asked of NATS now ({} for inputs without consumers). */
  backlog(): Promise<Record<string, number>> {
    return this.input.backlog?.() ?? Promise.resolve({});
  }

  /** The checkpoint this run continued from (undefined: it started afresh). */
  get resumedFrom(): bigint | undefined {
    return this.driver.resumedFrom?.seq;
  }

  /** Resolves when the pipeline has processed (and committed) everything delivered so far and `predicate` holds. */
  async waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Counters move when a batch is computed; its commit (recording, publishes, acks) follows: wait for that too.
    while (!(predicate() && this.run.counters.batches === this.committedBatches)) {
      if (this.failureCause) throw this.failureCause;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the live run (${JSON.stringify(this.run.counters)})`);
      await new Promise<void>((r) => {
        this.listeners.add(r);
        setTimeout(r, 50);
      });
    }
  }

  get failed(): unknown {
    return this.failureCause;
  }

  /**
   * Stops consuming and closes the run record. With checkpoints, what waits on watermarks (open bars, windows,
   * inputs the sequencer holds) stays for the next start of this run id; without, it is flushed.
   */
  async stop(): Promise<RunSummary> {
    if (!this.done) throw new Error(`live run ${this.o.runId} was not started`);
    await this.driver.stop();
    try {
      return await this.done;
    } catch {
      // Failed: nothing more was acked; what was not committed is redelivered to the next run.
      return this.run.summary();
    }
  }

  private notify(): void {
    for (const l of this.listeners) l();
    this.listeners.clear();
  }
}
