// `tickflow models`: list registered models; `tickflow models deploy ID`: hand a version to running pipelines via NATS KV.
import type { Command } from "commander";
import { closeNats, config, connectNats } from "../../app/environment.ts";
import { openRegistry, pipelineName } from "./train.ts";
import { deploymentOf, publishDeployment, readDeployment, DEPLOYMENT_BUCKET, verdictSubject, VerdictSchema, type Verdict } from "../../app/modelDeployment.ts";
import { processAlive, readProcessFiles } from "../../app/processFiles.ts";
import { pipelineStatus } from "../../app/status.ts";
import { TickflowError } from "../../core/errors.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { nsToIso } from "../../schemas/time.ts";

export function register(program: Command): void {
  const models = program.command("models").description("list registered models, or deploy one to running pipelines");
  models
    .command("list", { isDefault: true })
    .description("registered models: id, version, kind, features, training window, held-out metrics, sha256")
    .option("--pipeline <file|name>", "only models for this pipeline")
    .option("--name <name>", "only models with this name")
    .action(async (o: { pipeline?: string; name?: string }) => {
      const { registry, close } = await openRegistry(config().dataDir);
      try {
        const rows = await registry.list({ ...(o.pipeline ? { pipeline: pipelineName(o.pipeline) } : {}), ...(o.name ? { name: o.name } : {}) });
        if (rows.length === 0) {
          console.log("no models registered; train one with tickflow train --pipeline P --run RUN_ID");
          return;
        }
        // What the running pipelines of this machine serve, and the last deployment each did not install.
        const running = (await pipelineStatus(config().dataDir)).filter((p) => p.alive && p.models && (!o.pipeline || p.pipeline === pipelineName(o.pipeline)));
        for (const p of running) {
          const serving = Object.entries(p.models!.nodes)
            .map(([node, id]) => `${node}: ${id ?? "NO MODEL (rows pass unscored)"}`)
            .join(", ");
          const problem = p.models!.lastProblem ? `; last rejected: revision ${p.models!.lastProblem.revision}: ${p.models!.lastProblem.reason}` : "";
          console.log(`running ${p.pipeline} (${p.runId}, pid ${p.pid}) serves ${serving}${problem}`);
        }
        for (const r of rows) {
          const held = (r.metrics["heldOut"] ?? {}) as { accuracy?: number; logLoss?: number; auc?: number; rows?: number };
          const f = (x: number | undefined, d = 4): string => (x === undefined ? "?" : x.toFixed(d));
          console.log(`${r.id}  v${r.version}  ${r.kind}  pipeline ${r.pipeline}`);
          console.log(`  features: ${r.featureNames.join(", ")}`);
          console.log(`  window:   ${nsToIso(r.trainStartNs)} → ${nsToIso(r.trainEndNs)}`);
          console.log(`  held-out: ${held.rows ?? "?"} rows, accuracy ${f(held.accuracy)}, log loss ${f(held.logLoss)}, AUC ${f(held.auc)}`);
          console.log(`  sha256:   ${r.sha256}`);
        }
      } finally {
        await close();
      }
    });
  models
    .command("deploy")
    .description(`deploy a registered version: writes it to NATS KV ${DEPLOYMENT_BUCKET} under its pipeline; running pipelines load, check and switch`)
    .argument("<id>", "model id, e.g. momentum-bars-logreg-v2")
    .option("--wait <seconds>", "how long to wait for the running pipelines' verdict", "30")
    .action(async (id: string, o: { wait: string }) => {
      const waitS = Number(o.wait);
      if (!(waitS > 0)) throw new Error(`--wait must be a number of seconds > 0, got ${JSON.stringify(o.wait)}`);
      const cfg = config();
      const { registry, close } = await openRegistry(cfg.dataDir);
      try {
        const record = await registry.get(id);
        if (!record) {
          const known = (await registry.list()).map((r) => r.id);
          throw new Error(`no model ${id} in the registry${known.length ? `; registered: ${known.join(", ")}` : ""}`);
        }
        await registry.verifyFile(record);
        const nc = await connectNats(cfg, "admin");
        try {
          const running = readProcessFiles(cfg.dataDir).filter((p) => p.pipeline === record.pipeline && processAlive(p.pid));
          // Subscribed before the write, so no verdict can be missed.
          const verdicts = collectVerdicts(nc, record.pipeline);
          try {
            const before = await readDeployment(nc, record.pipeline);
            const revision = await publishDeployment(nc, deploymentOf(record, BigInt(Date.now()) * 1_000_000n));
            console.log(
              `deployed ${record.id} to pipeline ${record.pipeline} (KV ${DEPLOYMENT_BUCKET}/${record.pipeline} revision ${revision}${before ? `, was ${before.deployment.modelId}` : ""})`,
            );
            if (running.length === 0) {
              console.log(`no running ${record.pipeline} process on this machine: the next start loads it (and refuses it there if it does not check)`);
              return;
            }
            const got = await verdicts.wait(revision, running.length, waitS * 1000);
            for (const v of got)
              console.log(`  ${v.runId ?? "a run"}: ${v.outcome}${v.reason ? `: ${v.reason}` : ""}${v.serving ? `; serving ${v.serving}` : ""}`);
            const refused = got.filter((v) => v.outcome !== "installed");
            if (refused.length > 0)
              throw new DeployRejectedError(
                `${record.id} was not installed by ${refused.map((v) => v.runId ?? "a run").join(", ")}: ${refused[0]!.reason ?? refused[0]!.outcome}`,
              );
            if (got.length < running.length)
              throw new DeployRejectedError(
                `${running.length - got.length} of ${running.length} running ${record.pipeline} process(es) gave no verdict within ${waitS} s (running: ${running.map((p) => p.runId).join(", ")}); check their logs and /readyz`,
              );
          } finally {
            verdicts.close();
          }
        } finally {
          await closeNats(nc);
        }
      } finally {
        await close();
      }
    });
}

/** A deployment the running pipelines did not install (rejected, refused, or no verdict in time). */
export class DeployRejectedError extends TickflowError {
  static override readonly code = "MODEL_DEPLOY_REJECTED";
  override readonly name = "DeployRejectedError";
}

/** Collects the verdicts running pipelines announce; `wait` resolves with those for `revision` (up to `count`, or at the timeout). */
export function collectVerdicts(
  nc: NatsConnection,
  pipeline: string,
): { wait(revision: number, count: number, timeoutMs: number): Promise<Verdict[]>; close(): void } {
  const seen: Verdict[] = [];
  let wake = (): void => {};
  const sub = nc.subscribe(verdictSubject(pipeline), {
    callback: (_err, msg) => {
      const v = VerdictSchema.safeParse(
        (() => {
          try {
            return msg.json();
          } catch {
            return undefined;
          }
        })(),
      );
      if (v.success) {
        seen.push(v.data);
        wake();
      }
    },
  });
  return {
    async wait(revision, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const mine = () => seen.filter((v) => v.revision === revision);
      while (mine().length < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now())));
        });
      }
      return mine();
    },
    close: () => sub.unsubscribe(),
  };
}
