// Prometheus metrics of one tickflow process: a Registry of its own (never prom-client's global one, so
// tests and several runs in one process stay isolated), fed by the engine's LiveRunMetrics hooks.
// Labels are bounded by the pipeline declaration: source kinds, node names, stages, sink types, consumers.
import { within } from "../core/retry.ts";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { LiveRunMetrics } from "../runtime/pipelineRun.ts";
import type { Kind } from "../schemas/kinds.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import type { CircuitState } from "../core/circuitBreaker.ts";

export interface TickflowMetricsOptions {
  /** Wall clock in ns, for the watermark lag. Default: Date.now(). */
  readonly nowNs?: () => bigint;
  /** Also export prom-client's process metrics (CPU, heap, event-loop lag). Default false. */
  readonly processMetrics?: boolean;
  /** Labels on every series, e.g. `{ pipeline: "momentum-sentiment" }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** Stages are node names or fixed words (decode, late, model-deploy); anything else is folded so labels stay bounded. */
const MAX_LABEL_VALUES = 200;

const CIRCUIT_GAUGE: Record<CircuitState, number> = { closed: 0, open: 1, "half-open": 2 };

export class TickflowMetrics implements LiveRunMetrics {
  readonly registry = new Registry();
  readonly inputsTotal: Counter<"source_kind">;
  readonly outputsTotal: Counter<"node">;
  readonly deadLettersTotal: Counter<"stage">;
  readonly lateTotal: Counter;
  readonly publishRetriesTotal: Counter;
  readonly batchSeconds: Histogram;
  readonly sinkCommitSeconds: Histogram<"sink">;
  readonly sequencerBuffered: Gauge;
  readonly watermarkLagSeconds: Gauge;
  readonly consumerPendingGauge: Gauge<"consumer">;
  readonly consumerRepositionedTotal: Counter<"consumer">;
  readonly publishCircuitState: Gauge;
  private watermarkNs?: bigint;
  private publishCircuit?: () => CircuitState;
  private consumerBacklog?: () => Promise<Record<string, number>>;
  private readiness?: () => Promise<boolean>;
  private readonly killSwitch: Gauge;
  private predictCounters?: () => Record<string, { scored: number; noModel: number; warmUp: number; nonFinite: number }>;
  private readonly seen = new Map<string, Set<string>>();

  constructor(o: TickflowMetricsOptions = {}) {
    const registers = [this.registry];
    if (o.defaultLabels) this.registry.setDefaultLabels({ ...o.defaultLabels });
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "tickflow_" });
    const nowNs = o.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.inputsTotal = new Counter({
      name: "tickflow_inputs_total",
      help: "Inputs processed by the pipeline, by source kind",
      labelNames: ["source_kind"],
      registers,
    });
    this.outputsTotal = new Counter({ name: "tickflow_outputs_total", help: "Items emitted by output nodes", labelNames: ["node"], registers });
    this.deadLettersTotal = new Counter({
      name: "tickflow_dead_letters_total",
      help: "Dead letters (rejected or unprocessable inputs), by stage",
      labelNames: ["stage"],
      registers,
    });
    this.lateTotal = new Counter({ name: "tickflow_late_events_total", help: "Inputs behind the watermark (sent to dlq.late)", registers });
    this.publishRetriesTotal = new Counter({ name: "tickflow_publish_retries_total", help: "JetStream publishes retried after a timeout or error", registers });
    this.batchSeconds = new Histogram({
      name: "tickflow_batch_duration_seconds",
      help: "Wall time to process, commit and ack one released batch (measured in the live I/O loop)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sinkCommitSeconds = new Histogram({
      name: "tickflow_sink_commit_duration_seconds",
      help: "Wall time from handing a batch to a sink until it committed, by sink type",
      labelNames: ["sink"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sequencerBuffered = new Gauge({ name: "tickflow_sequencer_buffered", help: "Inputs held by the sequencer waiting for the watermark", registers });
    const self = this;
    this.watermarkLagSeconds = new Gauge({
      name: "tickflow_watermark_lag_seconds",
      help: "Wall clock minus the live run's watermark, at scrape time (absent before the first batch)",
      registers,
      collect() {
        if (self.watermarkNs === undefined) return;
        this.set(Number(nowNs() - self.watermarkNs) / 1e9);
      },
    });
    this.publishCircuitState = new Gauge({
      name: "tickflow_publish_circuit_state",
      help: "JetStream publishes' circuit breaker: 0 closed, 1 open, 2 half-open (publishes keep retrying while it is open)",
      registers,
      collect() {
        const state = self.publishCircuit?.();
        if (state !== undefined) this.set(CIRCUIT_GAUGE[state]);
      },
    });
    this.consumerPendingGauge = new Gauge({
      name: "tickflow_consumer_pending",
      help: "Messages the JetStream consumer has not delivered yet (asked of NATS at each scrape; as of the latest delivery when NATS does not answer within 2 s)",
      labelNames: ["consumer"],
      registers,
      async collect() {
        const probe = self.consumerBacklog;
        if (!probe) return;
        // A stuck run receives nothing, so the per-delivery value would stand still: ask the server. A NATS that does
        // not answer keeps the last values (the readiness check and the no-data alert report the outage).
        const now = await within(
          probe().catch(() => undefined),
          2000,
          undefined,
        );
        for (const [consumer, pending] of Object.entries(now ?? {})) this.set({ consumer: self.bounded("consumer", consumer) }, pending);
      },
    });
    new Gauge({
      name: "tickflow_predict_rows",
      help: "Rows each predict node handled since the start, by outcome: scored, no_model (passed unscored: nothing deployed or a rejected deployment), warm_up, non_finite",
      labelNames: ["node", "outcome"],
      registers,
      collect() {
        for (const [node, c] of Object.entries(self.predictCounters?.() ?? {})) {
          const n = self.bounded("node", node);
          this.set({ node: n, outcome: "scored" }, c.scored);
          this.set({ node: n, outcome: "no_model" }, c.noModel);
          this.set({ node: n, outcome: "warm_up" }, c.warmUp);
          this.set({ node: n, outcome: "non_finite" }, c.nonFinite);
        }
      },
    });
    this.killSwitch = new Gauge({
      name: "tickflow_kill_switch",
      help: "1 while an account's daily-loss kill switch is tripped (every new order is rejected), 0 after a reset",
      labelNames: ["account"],
      registers,
    });
    new Gauge({
      name: "tickflow_ready",
      help: "1 when /readyz is ready (NATS, DuckDB, consumers, publishes, model), 0 when not; evaluated at the scrape",
      registers,
      async collect() {
        const ready = self.readiness;
        if (ready) this.set((await ready()) ? 1 : 0);
      },
    });
    this.consumerRepositionedTotal = new Counter({
      name: "tickflow_consumer_repositioned_total",
      help: "JetStream consumers recreated at the run's committed position because their ack state diverged from the run's",
      labelNames: ["consumer"],
      registers,
    });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  inputs(sourceKind: string, count: number): void {
    this.inputsTotal.inc({ source_kind: sourceKind }, count);
  }

  outputs(node: string, kind: Kind, items: readonly unknown[]): void {
    this.outputsTotal.inc({ node: this.bounded("node", node) }, items.length);
    if (kind !== "orderEvent") return;
    for (const e of items as readonly { account: string; kind: string }[]) {
      if (e.kind === "kill_switch_tripped") this.killSwitch.set({ account: this.bounded("account", e.account) }, 1);
      else if (e.kind === "kill_switch_reset") this.killSwitch.set({ account: this.bounded("account", e.account) }, 0);
    }
  }

  /** /readyz's verdict, evaluated at each scrape (1 ready, 0 not), so an alert can fire on it. */
  watchReadiness(ready: () => Promise<boolean>): void {
    this.readiness = ready;
  }

  deadLetter(letter: DeadLetter): void {
    this.deadLettersTotal.inc({ stage: this.bounded("stage", letter.stage) });
  }

  sinkCommitted(sink: string, seconds: number): void {
    this.sinkCommitSeconds.observe({ sink: this.bounded("sink", sink) }, seconds);
  }

  late(): void {
    this.lateTotal.inc();
  }

  batchProcessed(seconds: number, watermark: bigint, buffered: number): void {
    this.batchSeconds.observe(seconds);
    this.sequencerBuffered.set(buffered);
    if (watermark > -(2n ** 62n)) this.watermarkNs = watermark;
  }

  consumerPending(consumer: string, pending: number): void {
    this.consumerPendingGauge.set({ consumer: this.bounded("consumer", consumer) }, pending);
  }

  consumerRepositioned(consumer: string): void {
    this.consumerRepositionedTotal.inc({ consumer: this.bounded("consumer", consumer) });
  }

  /** Reports the publish circuit's state at each scrape (sinks/jetStreamPublisher.ts PublishHealth). */
  /** The predict nodes' row counters, read at each scrape (app/modelDeployment.ts `counters()`). */
  watchPredictNodes(counters: () => Record<string, { scored: number; noModel: number; warmUp: number; nonFinite: number }>): void {
    this.predictCounters = counters;
  }

  /** Asks the run's consumers' pending counts at each scrape (app/liveRun.ts `backlog()`). */
  watchConsumerBacklog(probe: () => Promise<Record<string, number>>): void {
    this.consumerBacklog = probe;
  }

  watchPublishCircuit(state: () => CircuitState): void {
    this.publishCircuit = state;
  }

  /** For the JetStream publisher's retry hook (see docs/operations.md). */
  publishRetried(): void {
    this.publishRetriesTotal.inc();
  }

  /** Label values past MAX_LABEL_VALUES per label become "other": a runaway label must not grow the registry. */
  private bounded(label: string, value: string): string {
    let s = this.seen.get(label);
    if (!s) this.seen.set(label, (s = new Set()));
    if (s.has(value)) return value;
    if (s.size >= MAX_LABEL_VALUES) return "other";
    s.add(value);
    return value;
  }
}
