// The live composition root: one pipeline running live in this process until Ctrl-C: NATS and DuckDB opened from
// the environment, the operations layer (metrics, dashboard, audit, jobs), model deployments for predict nodes,
// the live run itself, and an orderly shutdown whatever happens. `tickflow run` and `tickflow start` both use it;
// tests/integration/commands.test.ts runs both as processes.
import { config, connectNats, ensureLocalNats, onInterrupt, openDatabase } from "./environment.ts";
import { loadPipeline } from "./loadPipeline.ts";
import { LiveRun } from "./liveRun.ts";
import type { RunSummary } from "../runtime/pipelineRun.ts";
import { ModelDeployment } from "./modelDeployment.ts";
import { predictNodes } from "../pipeline/catalog/models.ts";
import { LiveOps, resolveHttpPort } from "./liveOps.ts";
import { recordModelInstall } from "../replay/runs.ts";

export interface RunLiveOptions {
  readonly runId?: string;
  readonly consumer?: string;
  /** New consumers start at messages published from now on, not at the first stored one. */
  readonly fromNow?: boolean;
  readonly quiet?: boolean;
  readonly httpPort?: string;
  /** Extra options recorded in the audit trail with the run start. */
  readonly auditOptions?: Record<string, unknown>;
  /** Called once the run consumes; `stop` ends it as Ctrl-C would. Resolve `done` to end the run too. */
  readonly onStarted?: (ctx: { stop: () => void; banner: (line: string) => void }) => Promise<void> | void;
}

/** Runs a pipeline live until Ctrl-C (or `onStarted`'s promise settles); returns the run summary. */
export async function runLive(file: string, o: RunLiveOptions = {}): Promise<RunSummary> {
  const pipeline = await loadPipeline(file);
  const cfg = config();
  const httpPort = resolveHttpPort(o.httpPort);
  await ensureLocalNats(cfg);
  const nc = await connectNats(cfg);
  const db = await openDatabase(cfg);
  // One live run per pipeline by default: starting it again resumes it from its checkpoint.
  const runId = o.runId ?? `live-${pipeline.decl.name}`;
  // Pipelines with a predict node serve the model deployed for them in NATS KV and follow new deployments.
  let live: LiveRun | undefined;
  const ops = await LiveOps.start({ nc, db, pipeline, runId, config: cfg, httpPort, options: { consumer: o.consumer, ...o.auditOptions } });
  const deployment = predictNodes(pipeline).length
    ? await ModelDeployment.start({
        nc,
        pipeline,
        deadLetter: (l) => live?.run.deadLetter(l),
        onEvent: (e) => ops.auditDeployment(e),
      })
    : undefined;
  live = new LiveRun({
    pipeline: deployment?.pipeline ?? pipeline,
    nc,
    db,
    runId,
    consumerPrefix: o.consumer,
    deliver: o.fromNow ? "new" : "all",
    print: o.quiet ? () => {} : undefined,
    metrics: ops.hooks,
    recordWithBatch:
      deployment &&
      (async () => {
        for (const i of deployment.servedInstalls()) await recordModelInstall(db, runId, i);
      }),
  });
  ops.attach(live);
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const off = onInterrupt(async () => resolveStop());
  try {
    await live.start();
    await ops.running();
    process.stderr.write(
      `tickflow: running ${pipeline.decl.name} (run ${runId}, NATS ${cfg.natsUrl}, DuckDB ${cfg.dbPath})${ops.url ? `; dashboard ${ops.url}` : ""}; Ctrl-C to stop\n`,
    );
    const extra = o.onStarted?.({ stop: () => resolveStop(), banner: (line) => void process.stderr.write(`tickflow: ${line}\n`) });
    let error: unknown;
    try {
      await Promise.race([stopped, live.failure, ...(extra ? [extra] : [])]);
    } catch (e) {
      error = e;
    }
    // Always stop: clears timers and consumers; after a failure it acks nothing more and records "failed".
    const summary = await live.stop();
    if (error !== undefined) throw error;
    return summary;
  } finally {
    off();
    await ops.close();
    await deployment?.stop();
    await nc.drain().catch(() => undefined);
    await db.close();
  }
}
