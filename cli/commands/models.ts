// `tickflow models`: list registered models; `tickflow models deploy ID`: hand a version to running pipelines via NATS KV.
import type { Command } from "commander";
import { closeNats, config, connectNats } from "../../app/environment.ts";
import { openRegistry, pipelineName } from "./train.ts";
import { deploymentOf, publishDeployment, readDeployment, DEPLOYMENT_BUCKET } from "../../app/modelDeployment.ts";
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
    .action(async (id: string) => {
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
          const before = await readDeployment(nc, record.pipeline);
          const revision = await publishDeployment(nc, deploymentOf(record, BigInt(Date.now()) * 1_000_000n));
          console.log(
            `deployed ${record.id} to pipeline ${record.pipeline} (KV ${DEPLOYMENT_BUCKET}/${record.pipeline} revision ${revision}${before ? `, was ${before.deployment.modelId}` : ""})`,
          );
          console.log(
            "running pipelines load it beside the current model, probe it, and switch between two chunks; a rejected model is reported in their log and dead letters",
          );
        } finally {
          await closeNats(nc);
        }
      } finally {
        await close();
      }
    });
}
