// The live composition root: one pipeline running live in this process until Ctrl-C: NATS and DuckDB opened from
// the environment, the operations layer (metrics, dashboard, audit, jobs), model deployments for predict nodes,
// the live run itself, and an orderly shutdown whatever happens, bounded in time even while NATS is away.
// `tickflow run` and `tickflow start` both use it; tests/integration/commands.test.ts runs both as processes.
import type { DeadLetter } from "../schemas/deadLetter.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { closeNats, config, connectNats, ensureLocalNats, onInterrupt, openDatabase } from "./environment.ts";
import { within } from "../core/retry.ts";
import { redactUrl } from "../core/redact.ts";
import { loadPipeline } from "./loadPipeline.ts";
import { LiveRun } from "./liveRun.ts";
import type { RunSummary } from "../runtime/pipelineRun.ts";
import { ModelDeployment } from "./modelDeployment.ts";
import { predictNodes } from "../pipeline/catalog/models.ts";
import { LiveOps, resolveHttpPort } from "./liveOps.ts";
import { recordModelInstall } from "../replay/runs.ts";
import { PublishHealth } from "../sinks/jetStreamPublisher.ts";
import { processLog, type Log } from "./log.ts";
import { runningBanner } from "./startBanner.ts";
import { configuredKeyring } from "./credentials.ts";
import type { Database } from "../io/duckdb/database.ts";

export interface RunLiveOptions {
  readonly runId?: string;
  readonly consumer?: string;
  /** New consumers start at messages published from now on, not at the first stored one. */
  readonly fromNow?: boolean;
  readonly quiet?: boolean;
  readonly httpPort?: string;
  /** Extra options recorded in the audit trail with the run start. */
  readonly auditOptions?: Record<string, unknown>;
  /** Lifecycle lines (started, stopped, outages, deployments): text or JSON. Default: the process log. */
  readonly log?: Log;
  /** Called once the run consumes; `stop` ends it as Ctrl-C would. Resolve `done` to end the run too. */
  readonly onStarted?: (ctx: { stop: () => void; banner: (line: string) => void }) => Promise<void> | void;
}

/** Runs a pipeline live until Ctrl-C (or `onStarted`'s promise settles); returns the run summary. */
export async function runLive(file: string, o: RunLiveOptions = {}): Promise<RunSummary> {
  const pipeline = await loadPipeline(file);
  const cfg = config();
  const processLogger = o.log ?? processLog();
  const httpPort = resolveHttpPort(o.httpPort);
  await ensureLocalNats(cfg);
  const nc = await connectNats(cfg, "pipeline");
  // From here on whatever was opened is closed, whatever fails (a locked DuckDB file, a busy HTTP port): an open
  // connection would keep the process alive after the error was reported.
  let db: Database | undefined;
  let ops: LiveOps | undefined;
  let deployment: ModelDeployment | undefined;
  let off = (): void => {};
  try {
    db = await openDatabase(cfg);
    const recording = db;
    // One live run per pipeline by default: starting it again resumes it from its checkpoint.
    const runId = o.runId ?? `live-${pipeline.decl.name}`;
    const log = processLogger.child({ runId, pipeline: pipeline.decl.name });
    // Pipelines with a predict node serve the model deployed for them in NATS KV and follow new deployments.
    let live: LiveRun | undefined;
    const liveOps = (ops = await LiveOps.start({ nc, db, pipeline, runId, config: cfg, httpPort, log, options: { consumer: o.consumer, ...o.auditOptions } }));
    // Dead letters of the start-time load (a rejected deployment) wait for the run, which records them with its next batch.
    const early: DeadLetter[] = [];
    deployment = predictNodes(pipeline).length
      ? await ModelDeployment.start({
          nc,
          pipeline,
          runId,
          deadLetter: (l) => (live ? live.run.deadLetter(l) : early.push(l)),
          onEvent: (e) => liveOps.auditDeployment(e),
          log: log.lines("model.deployment", "warn"),
        })
      : undefined;
    if (deployment) liveOps.serveModels(deployment);
    const served = deployment;
    live = new LiveRun({
      pipeline: deployment?.pipeline ?? pipeline,
      nc,
      db,
      runId,
      consumerPrefix: o.consumer,
      deliver: o.fromNow ? "new" : "all",
      print: o.quiet ? () => {} : undefined,
      keyring: configuredKeyring(cfg),
      audit: ops.audit,
      metrics: ops.hooks,
      notice: log.lines("recording.notice", "warn"),
      recordWithBatch:
        served &&
        (async () => {
          for (const i of served.servedInstalls()) await recordModelInstall(recording, runId, i);
        }),
    });
    ops.attach(live);
    let resolveStop!: () => void;
    const stopped = new Promise<void>((r) => (resolveStop = r));
    off = onInterrupt(async () => resolveStop());
    await live.start();
    for (const l of early.splice(0)) live.run.deadLetter(l); // after a resume restored the counters
    await ops.running();
    log.info(
      "run.started",
      runningBanner({ pipeline: pipeline.decl.name, runId, natsUrl: cfg.natsUrl, dbPath: cfg.dbPath, dashboardUrl: ops.url })
        .trim()
        .replace(/^tickflow: /, ""),
      {
        natsUrl: redactUrl(cfg.natsUrl),
        dbPath: cfg.dbPath,
        dashboardUrl: ops.url ?? null,
        resumedFrom: live.resumedFrom?.toString() ?? null,
      },
    );
    const extra = o.onStarted?.({ stop: () => resolveStop(), banner: (line) => log.info("run.notice", line) });
    let error: unknown;
    try {
      await Promise.race([stopped, live.failure, ...(extra ? [extra] : [])]);
    } catch (e) {
      error = e;
    }
    // Always stop: clears timers and consumers; after a failure it acks nothing more and records "failed".
    const summary = await stopLive(live, nc, redactUrl(cfg.natsUrl), runId, log);
    // Rows a predict node passed through unscored belong in the summary, not only in /metrics.
    for (const [node, c] of Object.entries(deployment?.counters() ?? {}))
      log.info(
        "model.rows",
        `predict ${node}: ${c.scored} rows scored, ${c.noModel} passed unscored with no model serving, ${c.warmUp} in warm-up, ${c.nonFinite} non-finite (dead-lettered)`,
        { node, ...c },
      );
    if (error !== undefined) throw error;
    const k = summary.counters;
    log.info("run.stopped", `run ${runId} stopped: ${k.inputs} inputs, ${k.deadLetters} dead letters, ${k.late} late; digest ${summary.digest}`, {
      inputs: k.inputs,
      outputs: k.outputs,
      deadLetters: k.deadLetters,
      late: k.late,
      digest: summary.digest,
    });
    return summary;
  } finally {
    off();
    await ops?.close();
    await within(deployment?.stop() ?? Promise.resolve(), 2000, undefined);
    await closeNats(nc);
    await db?.close().catch(() => undefined);
  }
}

/** How long a stop waits for publishes that fail (the publish circuit is open) before it gives up on them. */
const STOP_GRACE_MS = 2000;
/** How long a stop waits at most, even while publishes still seem to go through. */
const STOP_LIMIT_MS = 12_000;

/**
 * `live.stop()`, bounded. A batch whose publishes wait on a NATS that is away would hold the stop forever (the
 * driver acks, and ends, only after its effects). Its outbox and checkpoint are already committed in DuckDB, so
 * closing the connection loses nothing: the waiting publishes give up, the run ends as failed, and the next start
 * of the run id sends its outbox again (the stream dedupes by message id).
 */
async function stopLive(live: LiveRun, nc: NatsConnection, natsUrl: string, runId: string, log: Log): Promise<RunSummary> {
  const stopping = live.stop();
  const settled = stopping.then(
    () => true,
    () => true,
  );
  const breaker = PublishHealth.of(nc).breaker;
  const t0 = Date.now();
  for (;;) {
    if (await within(settled, 100, false)) return stopping;
    const waited = Date.now() - t0;
    if ((waited >= STOP_GRACE_MS && breaker.state !== "closed") || waited >= STOP_LIMIT_MS) break;
  }
  log.warn(
    "run.stop_forced",
    breaker.state !== "closed"
      ? `NATS at ${natsUrl} does not take the run's publishes (${breaker.consecutiveFailures} failed attempts in a row); closing the connection so the run can stop`
      : `the run's last batch did not finish within ${STOP_LIMIT_MS / 1000} s of the stop; closing the NATS connection so the run can stop`,
  );
  await within(
    nc.close().catch(() => undefined),
    1000,
    undefined,
  );
  const ended = await within(settled, 5000, false);
  if (ended && live.failed === undefined) return stopping;
  const why = breaker.state !== "closed" ? `while NATS at ${natsUrl} was away` : `before its last batch finished (NATS ${natsUrl})`;
  throw new Error(
    `run ${runId} stopped ${why}: the last batch's publishes did not all go out. They stay in the run's outbox ` +
      `(DuckDB, with its checkpoint) and are sent when run ${runId} starts again (tickflow run <pipeline> --run-id ${runId})` +
      (ended ? "" : "; the run did not end within 5 s of closing the connection: it is marked interrupted at the next start"),
    { cause: live.failed },
  );
}
