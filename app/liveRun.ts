// A live pipeline run: JetStream consumers → sequencer (event-time order, watermark) → PipelineRun →
// sinks; inputs are recorded to DuckDB and acked only after every sink has committed the batch.
import type { NatsConnection } from "@nats-io/transport-node";
import type { JsMsg } from "@nats-io/jetstream";
import { JetStreamSource, type DecodedMessage, type Lane } from "../sources/jetstreamSource.ts";
import { Sequencer } from "../runtime/sequencer.ts";
import { PipelineRun, type LiveRunMetrics, type OutputSink, type RunSummary } from "../runtime/pipelineRun.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { KINDS } from "../schemas/kinds.ts";
import { parseDurationNs } from "../schemas/time.ts";
import type { Database } from "../io/duckdb/database.ts";
import { DuckDbSink } from "../sinks/duckDbSink.ts";
import { JetStreamPublisher } from "../sinks/jetStreamPublisher.ts";
import { ConsoleOutputSink, DeadLetterOutput, DuckDbOutputSink, NatsOutputSink } from "../sinks/outputSinks.ts";
import { finishRunRecord, pipelineInstruments, startRunRecord } from "../replay/runs.ts";
import type { AnyMessageType } from "../schemas/message.ts";

export interface LiveRunOptions {
  readonly pipeline: CompiledPipeline;
  readonly nc: NatsConnection;
  readonly db: Database;
  readonly runId: string;
  /** Durable consumer names start with this; reuse it to resume. Default: the pipeline name. */
  readonly consumerPrefix?: string;
  /** Where console sinks print. Default: stdout. */
  readonly print?: (line: string) => void;
  /** New consumers start at the first stored message ("all", default) or at messages published from now on ("new"). */
  readonly deliver?: "all" | "new";
  /** Wall-clock source for the run record only (never for operators). */
  readonly now?: () => bigint;
  /** Instrumentation (ops/metrics.ts); absent: nothing is measured. */
  readonly metrics?: LiveRunMetrics;
}


interface Pending {
  readonly msg: JsMsg;
  readonly lane: number;
  readonly item: { readonly tsEvent: bigint };
  /** Dedupe key: lane, stream and stream sequence. */
  readonly key: string;
}

export class LiveRun {
  readonly run: PipelineRun;
  private readonly sequencer: Sequencer<Pending>;
  private readonly recorder: DuckDbSink;
  private readonly publisher: JetStreamPublisher;
  private source?: JetStreamSource;
  private pumping: Promise<void> = Promise.resolve();
  private scheduled = false;
  private idleTimer?: NodeJS.Timeout;
  private readonly lastMessageAt: number[] = [];
  /** All lanes have been quiet for idleAfter: the sequencer may release everything it holds. */
  private flushDue = false;
  /** Per lane: messages handed to this process and not yet acked (or termed). */
  private readonly held: number[] = [];
  private failureCause?: unknown;
  /** stop() has begun: no new batch is started. */
  private stopping = false;
  /** Dedupe keys of messages handed to the pipeline but not yet committed (a redelivery of one is not acked). */
  private readonly uncommitted = new Set<string>();
  private buffered = 0;
  private readonly listeners = new Set<() => void>();
  private rejectFailure!: (e: unknown) => void;
  /** Rejects when the run fails (a consumer or sink error); never resolves. */
  readonly failure: Promise<never> = new Promise<never>((_, reject) => (this.rejectFailure = reject));

  constructor(private readonly o: LiveRunOptions) {
    this.failure.catch(() => undefined); // observed by callers that race on it
    const p = o.pipeline;
    this.recorder = new DuckDbSink(o.db);
    this.publisher = new JetStreamPublisher(o.nc, { onRetry: () => o.metrics?.publishRetried?.() });
    const outSinks: { sink: OutputSink; input: string }[] = [];
    const duck = new DuckDbOutputSink(this.recorder, o.runId);
    const nats = new NatsOutputSink(this.publisher, o.runId);
    const cons = new ConsoleOutputSink(o.print ?? ((l) => process.stdout.write(l + "\n")));
    for (const s of p.sinks) outSinks.push({ sink: s.type === "duckdb" ? duck : s.type === "nats" ? nats : cons, input: s.input });
    this.run = new PipelineRun(p, o.runId, outSinks, new DeadLetterOutput(o.runId, this.recorder, this.publisher), o.metrics);
    const lanes = p.sources.reduce((n, s) => n + s.subjects.length, 0);
    this.sequencer = new Sequencer<Pending>(lanes, parseDurationNs(p.decl.sequencing.maxDelay));
  }

  async start(): Promise<void> {
    const p = this.o.pipeline;
    await this.recorder.ensureRecording(p.sources.map((s) => KINDS[s.kind] as AnyMessageType));
    await startRunRecord(this.o.db, { runId: this.o.runId, pipeline: p.decl.name, mode: "live", startedAt: (this.o.now ?? wallNs)(), params: { instruments: pipelineInstruments(p) } });
    this.source = await JetStreamSource.open(this.o.nc, p.sources, this.o.consumerPrefix ?? p.decl.name, this.o.deliver);
    for (const lane of this.source.lanes) {
      this.lastMessageAt[lane.index] = Date.now();
      const pending = await this.source.pending(lane);
      this.o.metrics?.consumerPending(lane.durable, pending);
      if (pending === 0) this.sequencer.setIdle(lane.index, true);
    }
    await this.source.start({
      onMessage: (m, pending) => this.onMessage(m, pending),
      onReject: ({ lane, error, msg }) => {
        this.held[lane] = (this.held[lane] ?? 0) + 1;
        this.run.deadLetter({ stage: "decode", subject: msg.subject, ref: `${msg.subject} #${msg.seq}`, reason: error.message, field: error.field || undefined, payload: new TextDecoder().decode(msg.data) });
        this.afterCommit(() => this.ack(lane, msg, true)); // term(): a 2.9 server ignores a reason argument
        this.schedule();
      },
      onError: (lane, e) => this.fail(new Error(`consumer ${lane.durable} on ${lane.subject} failed: ${(e as Error).message}`, { cause: e })),
    });
    const idleMs = Number(parseDurationNs(p.decl.sequencing.idleAfter) / 1_000_000n);
    // A lane quiet for `idleAfter` stops holding the watermark back, but only once the server confirms it is
    // caught up: nothing left to deliver, and nothing delivered that this process has not yet handled. (A busy
    // event loop can starve a lane's iterator for longer than idleAfter; a wall-clock rule alone would then
    // release other lanes past its undelivered messages and make them late.)
    let checking = false;
    this.idleTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.checkIdle(idleMs).finally(() => (checking = false));
    }, Math.max(10, idleMs));
  }

  private async checkIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    let changed = false;
    // Every lane quiet for idleAfter: release what the out-of-orderness allowance still holds back.
    const quiet = this.source!.lanes.every((l) => now - this.lastMessageAt[l.index]! >= idleMs);
    if (quiet !== this.flushDue) {
      this.flushDue = quiet;
      changed = quiet;
    }
    for (const lane of this.source!.lanes) {
      if (now - this.lastMessageAt[lane.index]! < idleMs) continue;
      try {
        const asked = Date.now();
        const b = await this.source!.backlog(lane);
        // A message that arrived while we asked makes the answer stale.
        if (this.lastMessageAt[lane.index]! < asked && b.pending === 0 && b.ackPending <= this.held[lane.index]!) {
          this.sequencer.setIdle(lane.index, true);
          changed = true;
        }
      } catch {
        // Server unreachable: leave the lane as it is; the client reconnects.
      }
    }
    if (changed) this.schedule();
  }

  /** Resolves when the pipeline has processed (and committed) everything delivered so far and `predicate` holds. */
  async waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
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

  /** Stops consuming, processes what is buffered, flushes open windows, closes the run record. */
  async stop(): Promise<RunSummary> {
    this.stopping = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.source?.stop();
    await new Promise((r) => setImmediate(r)); // a pump scheduled just before stop joins the chain
    await this.pumping;
    if (this.failureCause === undefined) {
      const rest = this.sequencer.drain();
      if (rest.entries.length) await this.processReleased(rest.entries.map((e) => e.item), rest.watermark);
      const summary = await this.run.finish();
      await this.flushAcks();
      await finishRunRecord(this.o.db, summary, (this.o.now ?? wallNs)(), "stopped");
      return summary;
    }
    // Failed: nothing more is acked; what was not committed is redelivered to the next run.
    this.ackQueue.length = 0;
    const summary = this.run.summary();
    await finishRunRecord(this.o.db, summary, (this.o.now ?? wallNs)(), "failed").catch(() => undefined);
    return summary;
  }

  private onMessage(m: DecodedMessage, pending: number): void {
    this.lastMessageAt[m.lane] = Date.now();
    this.flushDue = false;
    this.held[m.lane] = (this.held[m.lane] ?? 0) + 1;
    const key = `${m.lane}:${m.msg.info.stream}:${m.msg.seq}`;
    const rank = this.source!.lanes[m.lane]!.source.rank;
    const r = this.sequencer.add(m.lane, m.item.tsEvent, BigInt(m.msg.seq), { msg: m.msg, lane: m.lane, item: m.item, key }, key, rank);
    this.o.metrics?.consumerPending(this.source!.lanes[m.lane]!.durable, pending);
    if (r === "accepted") {
      this.buffered++;
      this.uncommitted.add(key);
    }
    else if (r === "duplicate") {
      // A redelivery: ack it only if the first delivery was committed; otherwise the first one's ack covers it.
      if (this.uncommitted.has(key)) this.held[m.lane]!--;
      else this.ack(m.lane, m.msg);
    }
    else if (r === "late") {
      this.run.counters.late++;
      this.o.metrics?.late();
      this.run.deadLetter({ stage: "late", subject: m.msg.subject, ref: `${m.msg.subject} #${m.msg.seq}`, reason: `event time ${m.item.tsEvent} is behind the watermark ${this.sequencer.watermark} (sequencing.maxDelay ${this.o.pipeline.decl.sequencing.maxDelay})`, field: "tsEvent", payload: new TextDecoder().decode(m.msg.data) });
      this.afterCommit(() => this.ack(m.lane, m.msg));
    }
    if (pending === 0) this.sequencer.setIdle(m.lane, true);
    this.schedule();
  }

  private ack(lane: number, msg: JsMsg, term = false): void {
    if (term) msg.term();
    else msg.ack();
    this.held[lane] = (this.held[lane] ?? 1) - 1;
  }

  private readonly ackQueue: (() => void)[] = [];
  private afterCommit(f: () => void): void {
    this.ackQueue.push(f);
  }
  private async flushAcks(): Promise<void> {
    for (const f of this.ackQueue.splice(0)) f();
  }

  private schedule(): void {
    if (this.scheduled || this.failureCause !== undefined || this.stopping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pumping = this.pumping.then(() => this.pump()).catch((e) => this.fail(e));
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.failureCause !== undefined) return;
      const rel = this.sequencer.release(this.flushDue);
      if (!rel) break;
      await this.processReleased(rel.entries.map((e) => e.item), rel.watermark);
    }
    if (this.ackQueue.length && this.failureCause === undefined) {
      const acks = this.ackQueue.splice(0);
      await this.run.process([], [], this.sequencer.watermark); // commits the queued dead letters
      for (const f of acks) f();
    }
    for (const l of this.listeners) l();
    this.listeners.clear();
  }

  private async processReleased(batch: readonly Pending[], watermark: bigint): Promise<void> {
    const t0 = performance.now();
    const lanes = this.source!.lanes;
    const sources = batch.map((p) => lanes[p.lane]!.source.rank);
    const items = batch.map((p) => p.item);
    // Record the inputs (once per message id, whoever records them) beside the outputs.
    const byKind = new Map<string, Pending[]>();
    for (const p of batch) {
      const k = lanes[p.lane]!.source.kind;
      (byKind.get(k) ?? byKind.set(k, []).get(k)!).push(p);
    }
    const recording = [...byKind].map(([kind, ps]) =>
      this.recorder.writeInputs(KINDS[kind as "trade"] as AnyMessageType, ps.map((p) => p.item) as never[], ps.map((p) => ({ subject: p.msg.subject, streamSeq: BigInt(p.msg.seq) }))),
    );
    // Acks queued so far belong to dead letters that this batch's commit writes; ones queued while it awaits
    // wait for the next commit.
    const deadLetterAcks = this.ackQueue.splice(0);
    await Promise.all([this.run.process(sources, items, watermark), ...recording]);
    for (const p of batch) {
      this.ack(p.lane, p.msg);
      this.uncommitted.delete(p.key);
    }
    for (const f of deadLetterAcks) f();
    this.buffered -= batch.length;
    this.o.metrics?.batchProcessed((performance.now() - t0) / 1000, watermark, this.buffered);
  }

  private fail(e: unknown): void {
    if (this.failureCause === undefined) this.rejectFailure(e);
    this.failureCause ??= e;
    for (const l of this.listeners) l();
  }
}

const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
export type { Lane };
