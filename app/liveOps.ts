// The operations layer of one long-running process (`tickflow run`, `tickflow start`): metrics and the live feed
// hooked into the LiveRun, the HTTP server, the audit trail (config, run start/stop) and the scheduled jobs.
import { removeProcessFile, writeProcessFile } from "./processFiles.ts";
import { hostname, userInfo } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Database } from "../io/duckdb/database.ts";
import type { LiveRun } from "./liveRun.ts";
import type { LiveRunMetrics } from "../runtime/pipelineRun.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { Config } from "../io/config.ts";
import type { DeploymentEvent } from "./modelDeployment.ts";
import { nsToIso } from "../schemas/time.ts";
import { processLog, type Log } from "./log.ts";
import { TickflowMetrics } from "../ops/metrics.ts";
import { KvOccurrenceLock } from "./jobLock.ts";
import { LiveFeed } from "../ops/liveFeed.ts";
import { graphOfPipeline } from "../ops/pipelineGraph.ts";
import { AuditLog } from "../ops/audit.ts";
import { Scheduler, type JobDefinition } from "../ops/scheduler.ts";
import { defaultJobs } from "../ops/builtinJobs.ts";
import { DEFAULT_HTTP_PORT, startOpsServer, type OpsServer } from "../ops/httpServer.ts";
import { checkReadiness, consumersProbe, databaseProbe, natsProbe, publishProbe, type ConsumerState, type ReadinessProbe } from "../ops/readiness.ts";
import { PublishHealth } from "../sinks/jetStreamPublisher.ts";

export interface LiveOpsOptions {
  readonly nc: NatsConnection;
  readonly db: Database;
  readonly pipeline: CompiledPipeline;
  readonly runId: string;
  readonly config: Config;
  /** 0: no HTTP server. */
  readonly httpPort: number;
  readonly httpHost?: string;
  /** Jobs to schedule. Default: compact, retention and registered reports. */
  readonly jobs?: readonly JobDefinition[];
  /** What else to record with the configuration at start (command options). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The run's publish health. Default: the connection's shared one, which the live run's publisher reports to. */
  readonly publishHealth?: PublishHealth;
  /** Where the outage lines go (publishes failing: warn; recovered: info). Default: the process log. */
  readonly log?: Log;
}

/** `--http-port` if given, else TICKFLOW_HTTP_PORT, else 9464; 0 turns the server off. */
export function resolveHttpPort(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [raw, from] =
    flag !== undefined
      ? [flag, "--http-port"]
      : env.TICKFLOW_HTTP_PORT !== undefined
        ? [env.TICKFLOW_HTTP_PORT, "TICKFLOW_HTTP_PORT"]
        : [String(DEFAULT_HTTP_PORT), "default"];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${from}: expected a port from 1 to 65535, or 0 to turn the dashboard off; got ${JSON.stringify(raw)}`);
  return port;
}

export function cliActor(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `cli:${user}@${hostname()}`;
}

/** What LiveOps needs from a run's model deployment (app/modelDeployment.ts). */
export interface ServedModels {
  readinessProbe(): ReadinessProbe;
  serving(): { nodes: Record<string, string | null>; lastProblem?: { revision: number; reason: string } };
  counters(): Record<string, { scored: number; noModel: number; warmUp: number; nonFinite: number }>;
}

/** Forwards every hook to the metrics and to the dashboard feed; keeps the watermark for /api/status. */
function tee(metrics: TickflowMetrics, feed: LiveFeed, onWatermark: (w: bigint) => void): LiveRunMetrics {
  return {
    inputs: (k, n) => metrics.inputs(k, n),
    inputItems: (source, kind, items) => feed.inputItems(source, kind, items),
    outputs: (node, kind, items) => {
      metrics.outputs(node, kind, items);
      feed.outputs(node, kind, items);
    },
    deadLetter: (l) => {
      metrics.deadLetter(l);
      feed.deadLetter(l);
    },
    sinkCommitted: (s, sec) => metrics.sinkCommitted(s, sec),
    late: () => metrics.late(),
    batchProcessed: (sec, w, b) => {
      metrics.batchProcessed(sec, w, b);
      onWatermark(w);
    },
    consumerPending: (c, n) => metrics.consumerPending(c, n),
    consumerRepositioned: (c) => metrics.consumerRepositioned(c),
    publishRetried: () => metrics.publishRetried(),
  };
}

const MIN_WATERMARK = -(2n ** 62n);

/** One line when publishes start failing and one when they recover: an outage is news, each retry is not. */
function watchOutages(health: PublishHealth, log: Log): () => void {
  let since = 0;
  return health.onChange((from, to) => {
    const b = health.breaker;
    if (from === "closed") {
      since = Date.now();
      const e = health.lastError;
      const last = (e as Error)?.message ?? String(e);
      log.warn(
        "nats.publish_failing",
        `publishes to NATS are failing (${b.consecutiveFailures} in a row, last: ${last}); the run retries until NATS answers and consumes nothing meanwhile`,
        { consecutiveFailures: b.consecutiveFailures, lastError: last },
      );
    } else if (to === "closed") {
      const seconds = (Date.now() - since) / 1000;
      log.info("nats.publish_recovered", `publishes to NATS go through again after ${seconds.toFixed(1)} s; the run continues`, { outageSeconds: seconds });
    }
  });
}

export class LiveOps {
  readonly metrics = new TickflowMetrics({ processMetrics: true });
  readonly feed = new LiveFeed();
  /** Hand these to `new LiveRun({ metrics })`. */
  readonly hooks: LiveRunMetrics;
  private server?: OpsServer;
  private live?: LiveRun;
  private state: ConsumerState = "starting";
  private watermark?: bigint;
  private readonly startedAtMs = Date.now();
  readonly publishHealth: PublishHealth;
  private readonly offPublishHealth: () => void;

  private constructor(
    private readonly o: LiveOpsOptions,
    readonly audit: AuditLog,
    readonly scheduler: Scheduler,
  ) {
    this.feed.setGraph(graphOfPipeline(o.pipeline));
    this.hooks = tee(this.metrics, this.feed, (w) => {
      if (w > MIN_WATERMARK) this.watermark = w;
    });
    const health = (this.publishHealth = o.publishHealth ?? PublishHealth.of(o.nc));
    this.metrics.watchPublishCircuit(() => health.breaker.state);
    this.offPublishHealth = watchOutages(health, o.log ?? processLog());
  }

  /** Audits the configuration, declares the jobs (not started yet) and starts the HTTP server unless the port is 0. */
  static async start(o: LiveOpsOptions): Promise<LiveOps> {
    const audit = await AuditLog.open(o.db, { actor: cliActor() });
    await audit.audit("config.start", o.runId, {
      pipeline: o.pipeline.decl,
      natsUrl: o.config.natsUrl,
      dbPath: o.config.dbPath,
      dataDir: o.config.dataDir,
      httpPort: o.httpPort,
      httpHosts: o.config.httpHosts ?? [],
      node: process.version,
      options: o.options ?? {},
    });
    // Cluster-scoped jobs run once per occurrence across processes through the jobs bucket (tickflow up creates it).
    const lock = await KvOccurrenceLock.open(o.nc, `${o.runId}@${hostname()}:${process.pid}`).catch(() => undefined);
    const scheduler = new Scheduler({ db: o.db, audit, ...(lock ? { lock } : {}) });
    for (const j of o.jobs ?? defaultJobs()) scheduler.register(j);
    const ops = new LiveOps(o, audit, scheduler);
    ops.probes.push(
      natsProbe(o.nc),
      databaseProbe(o.db),
      consumersProbe(() => ops.consumerState()),
      publishProbe(ops.publishHealth),
    );
    ops.metrics.watchReadiness(async () => (await checkReadiness(ops.probes)).ready);
    if (o.httpPort !== 0) {
      ops.server = await startOpsServer({
        port: o.httpPort,
        host: o.httpHost,
        allowedHosts: o.config.httpHosts,
        metrics: ops.metrics,
        feed: ops.feed,
        status: () => ops.status(),
        readiness: ops.probes,
      });
    }
    return ops;
  }

  /** The dashboard's URL, when the HTTP server runs. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** What /readyz checks; `serveModels` adds the model probe. */
  readonly probes: ReadinessProbe[] = [];
  private models?: ServedModels;

  /** A pipeline with predict nodes: /readyz says whether a model serves, /api/status and /metrics what it scored. */
  serveModels(models: ServedModels): void {
    this.models = models;
    this.probes.push(models.readinessProbe());
    this.metrics.watchPredictNodes(() => models.counters());
  }

  /** Call before `live.start()`. */
  attach(live: LiveRun): void {
    this.live = live;
    this.metrics.watchConsumerBacklog(() => live.backlog());
  }

  /** Call once `live.start()` resolved: consumers run, jobs get scheduled, the start is audited. */
  async running(): Promise<void> {
    this.state = "running";
    writeProcessFile(this.o.config.dataDir, {
      runId: this.o.runId,
      pipeline: this.o.pipeline.decl.name,
      pid: process.pid,
      url: this.url ?? null,
      startedAt: new Date(this.startedAtMs).toISOString(),
    });
    this.scheduler.start();
    await this.audit.audit("run.start", this.o.runId, { pipeline: this.o.pipeline.decl.name, mode: "live", ...(this.url ? { dashboard: this.url } : {}) });
  }

  /** Stops jobs and the server, audits the stop with the run's counters. Never throws: shutdown goes on. */
  async close(): Promise<void> {
    this.state = this.live?.failed ? "failed" : "stopped";
    removeProcessFile(this.o.config.dataDir, this.o.runId);
    this.offPublishHealth();
    this.scheduler.stop();
    await this.scheduler.settled();
    await this.server?.close().catch(() => undefined);
    if (this.live) {
      const s = this.live.run.summary();
      const failed = this.live.failed;
      await this.audit
        .audit("run.stop", this.o.runId, {
          status: this.state,
          counters: s.counters,
          digest: s.digest,
          ...(failed ? { error: (failed as Error).message ?? String(failed) } : {}),
        })
        .catch(() => undefined);
    }
  }

  /** Records a model deployment event of the run's ModelDeployment (installed, rejected, refused, breaker). */
  auditDeployment(e: DeploymentEvent): void {
    const details = "error" in e ? { ...e, error: (e.error as Error)?.message ?? String(e.error) } : e;
    void this.audit.audit(`model.${e.type}`, this.o.pipeline.decl.name, details).catch(() => undefined);
  }

  consumerState(): { state: ConsumerState; failure?: unknown } {
    if (this.live?.failed) return { state: "failed", failure: this.live.failed };
    return { state: this.state };
  }

  status(): Record<string, unknown> {
    const w = this.watermark;
    return {
      runId: this.o.runId,
      pipeline: this.o.pipeline.decl.name,
      state: this.consumerState().state,
      startedAt: new Date(this.startedAtMs).toISOString(),
      counters: this.live?.run.counters ?? null,
      watermark: w === undefined ? null : { ns: w.toString(), iso: nsToIso(w) },
      lagSeconds: w === undefined ? null : (Date.now() - Number(w / 1_000_000n)) / 1000,
      ...(this.models ? { models: { ...this.models.serving(), rows: this.models.counters() } } : {}),
    };
  }
}
