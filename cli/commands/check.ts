// `tickflow check lookahead PIPELINE`: replays prefixes of the recording and fails when an output at time t
// changes once the data after t is removed (replay/lookahead.ts).
import type { Command } from "commander";
import { parseTimeOption } from "../context.ts";
import { config, openDatabase } from "../../app/environment.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { checkLookahead, formatLookahead } from "../../replay/lookahead.ts";
import { nsToIso } from "../../schemas/time.ts";
import { progressBar } from "../progress.ts";
import { predictNodes } from "../../pipeline/catalog/models.ts";
import { withFixedModel } from "../../app/modelDeployment.ts";
import { openRegistry } from "./train.ts";

export function register(program: Command): void {
  const check = program.command("check").description("checks a pipeline against the recording");
  check
    .command("lookahead")
    .description("replay prefixes of the recording cut at several event times t; fail if any output at time <= t changes when data after t is removed")
    .argument("<pipeline>", "pipeline declaration (YAML or JSON)")
    .option("--cuts <n>", "number of cut points (cost: one full replay plus prefixes averaging half of it each)", "5")
    .option("--from <time>", "first event time (ISO-8601, inclusive)")
    .option("--to <time>", "last event time (ISO-8601, exclusive)")
    .option("--model <id>", "registered model for the pipeline's predict nodes (a pipeline with one needs it)")
    .action(async (file: string, o: { cuts: string; from?: string; to?: string; model?: string }) => {
      const cuts = Number(o.cuts);
      if (!Number.isInteger(cuts) || cuts < 1) throw new Error(`--cuts must be a positive integer, got ${JSON.stringify(o.cuts)}`);
      let pipeline = await loadPipeline(file);
      if (predictNodes(pipeline).length) {
        // The predict node is checked like every other: with one fixed model, each row's probability depends on
        // that row only, so a leak upstream (or in a user operator after it) still shows, named by node.
        if (!o.model) throw new Error(`pipeline ${pipeline.decl.name} has a predict node: give --model ID (registered models: tickflow models)`);
        const { registry, close } = await openRegistry(config().dataDir);
        try {
          const record = await registry.get(o.model);
          if (!record) throw new Error(`no model ${o.model} in the registry (tickflow models lists them)`);
          if (record.pipeline !== pipeline.decl.name)
            throw new Error(`model ${record.id} was trained for pipeline ${record.pipeline}, not ${pipeline.decl.name}`);
          pipeline = (await withFixedModel(pipeline, record.filePath, record.sha256)).pipeline;
        } finally {
          await close();
        }
      }
      const db = await openDatabase(config(), { mustExist: true });
      try {
        const bar = progressBar("lookahead", cuts + 1, "replays");
        const report = await checkLookahead({
          pipeline,
          db,
          cuts,
          range: { fromNs: parseTimeOption(o.from, "--from"), toNs: parseTimeOption(o.to, "--to") },
          onReplay: (done, total, cut) => bar.update(done, total, { info: cut === undefined ? "full" : `cut ${nsToIso(cut).slice(0, 19)}` }),
        });
        bar.stop();
        if (report.inputs === 0)
          throw new Error(
            `no recorded inputs for ${pipeline.decl.name}'s sources (${pipeline.sources.map((s) => s.subjects.join(" ")).join(", ")}); import or record data first`,
          );
        console.log(formatLookahead(report));
        if (report.difference) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });
}
