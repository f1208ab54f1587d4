// `tickflow run PIPELINE`: a long-running live pipeline process, until Ctrl-C.
import type { Command } from "commander";
import { config, connectNats, defaultRunId, ensureLocalNats, onInterrupt, openDatabase } from "../context.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { LiveRun } from "../../app/liveRun.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { ModelDeployment } from "../../app/modelDeployment.ts";
import { predictNodes } from "../../pipeline/catalog/models.ts";
import { LiveOps, resolveHttpPort } from "../../app/liveOps.ts";

export function register(program: Command): void {
  program
    .command("run")
    .description("run a pipeline live on the JetStream feeds until Ctrl-C; records inputs and outputs in DuckDB")
    .argument("<pipeline>", "pipeline declaration (YAML or JSON)")
    .option("--run-id <id>", "run id for the recorded outputs (default: live-<pipeline>-<time>)")
    .option("--consumer <prefix>", "durable consumer prefix: the same prefix resumes, a new one starts from the first stored message")
    .option("--from-now", "new consumers start at messages published from now on (default: the first stored message)")
    .option("--quiet", "do not print console sinks")
    .option("--http-port <n>", "dashboard, /metrics, /healthz, /readyz on 127.0.0.1 (default TICKFLOW_HTTP_PORT or 9464; 0 = off)")
    .action(async (file: string, o: { runId?: string; consumer?: string; fromNow?: boolean; quiet?: boolean; httpPort?: string }) => {
      const summary = await runLive(file, o);
      printSummary(summary);
    });
}

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
  const pipeline = loadPipeline(file);
  const cfg = config();
  const httpPort = resolveHttpPort(o.httpPort);
  await ensureLocalNats(cfg);
  const nc = await connectNats(cfg);
  const db = await openDatabase(cfg);
  const runId = o.runId ?? defaultRunId("live", pipeline.decl.name);
  // Pipelines with a predict node serve the model deployed for them in NATS KV and follow new deployments.
  let live: LiveRun | undefined;
  const ops = await LiveOps.start({ nc, db, pipeline, runId, config: cfg, httpPort, options: { consumer: o.consumer, ...o.auditOptions } });
  const deployment = predictNodes(pipeline).length ? await ModelDeployment.start({ nc, pipeline, deadLetter: (l) => live?.run.deadLetter(l), onEvent: (e) => ops.auditDeployment(e) }) : undefined;
  live = new LiveRun({ pipeline: deployment?.pipeline ?? pipeline, nc, db, runId, consumerPrefix: o.consumer, deliver: o.fromNow ? "new" : "all", print: o.quiet ? () => {} : undefined, metrics: ops.hooks });
  ops.attach(live);
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const off = onInterrupt(async () => resolveStop());
  try {
    await live.start();
    await ops.running();
    process.stderr.write(`tickflow: running ${pipeline.decl.name} (run ${runId}, NATS ${cfg.natsUrl}, DuckDB ${cfg.dbPath})${ops.url ? `; dashboard ${ops.url}` : ""}; Ctrl-C to stop\n`);
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

export function printSummary(s: RunSummary): void {
  const outs = Object.entries(s.counters.outputs).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`run ${s.runId}: ${s.counters.inputs} inputs, outputs: ${outs}; ${s.counters.deadLetters} dead letters, ${s.counters.late} late`);
  console.log(`digest: ${s.digest}`);
}
