// `tickflow replay PIPELINE`: the recorded inputs through the same pipeline, as fast as it can, into a run of its own.
import type { Command } from "commander";
import { parseTimeOption } from "../context.ts";
import { config, defaultRunId, openDatabase } from "../../app/environment.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { replay } from "../../replay/replay.ts";
import { nsToIso } from "../../schemas/time.ts";
import { ConsoleOutputSink } from "../../sinks/outputSinks.ts";
import { progressBar } from "../progress.ts";
import { printSummary } from "../summary.ts";
import { recordedModelInstalls, recordedRun } from "../../replay/runs.ts";
import { countRecording } from "../../replay/replayReader.ts";
import { TickflowError } from "../../core/errors.ts";
import { backtestHook } from "../../replay/backtestSummary.ts";
import { predictNodes } from "../../pipeline/catalog/models.ts";
import type { Database } from "../../io/duckdb/database.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";

export function register(program: Command): void {
  program
    .command("replay")
    .description("replay the recorded inputs through a pipeline; prints a summary ending with `digest: <hex>`")
    .argument("<pipeline>", "pipeline declaration (YAML or JSON)")
    .option("--from <time>", "first event time (ISO-8601, inclusive)")
    .option("--to <time>", "last event time (ISO-8601, exclusive)")
    .option("--run <id>", "replay exactly the inputs that live run processed (recorded in run_inputs), e.g. to check its digest")
    .option("--run-id <id>", "run id for the replay's outputs (default: replay-<pipeline>-<time>)")
    .option("--batch <n>", "inputs per batch", "8192")
    .option("--print", "print console sinks (signals) as they are produced")
    .option("--no-record", "do not record outputs (digest only)")
    .option("--model <id>", "registered model for the pipeline's predict nodes (see `tickflow models`)")
    .action(
      async (
        file: string,
        o: { from?: string; to?: string; run?: string; runId?: string; batch: string; print?: boolean; record: boolean; model?: string },
      ) => {
        let pipeline = await loadPipeline(file);
        if (predictNodes(pipeline).length && o.run !== undefined && !o.model) {
          // Replay of a live run: every row is scored by the version live scored it with, switching at the same rows.
          const db = await openDatabase(config(), { mustExist: true });
          const installs = await recordedModelInstalls(db, o.run).finally(() => db.close());
          if (installs.length === 0) throw new Error(`run ${o.run} recorded no model installs; give --model ID to score with one fixed model`);
          const { registry, close } = await (await import("./train.ts")).openRegistry(config().dataDir);
          try {
            pipeline = (
              await (
                await import("../../app/modelDeployment.ts")
              ).withRecordedModels(pipeline, installs, async (id) => {
                const record = await registry.get(id);
                if (!record) throw new Error(`run ${o.run} served model ${id}, which is not in the registry (tickflow models lists them)`);
                return record.filePath;
              })
            ).pipeline;
          } finally {
            await close();
          }
        } else if (predictNodes(pipeline).length) {
          if (!o.model)
            throw new Error(
              `pipeline ${pipeline.decl.name} has a predict node: give --model ID (registered models: tickflow models), or --run ID to use the models a live run served`,
            );
          const { registry, close } = await (await import("./train.ts")).openRegistry(config().dataDir);
          try {
            const record = await registry.get(o.model);
            if (!record) throw new Error(`no model ${o.model} in the registry (tickflow models lists them)`);
            if (record.pipeline !== pipeline.decl.name)
              throw new Error(
                `model ${record.id} was trained for pipeline ${record.pipeline}, not ${pipeline.decl.name}: its features are that pipeline's (tickflow models --pipeline ${pipeline.decl.name} lists this one's)`,
              );
            pipeline = (await (await import("../../app/modelDeployment.ts")).withFixedModel(pipeline, record.filePath, record.sha256)).pipeline;
          } finally {
            await close();
          }
        }
        const range = { fromNs: parseTimeOption(o.from, "--from"), toNs: parseTimeOption(o.to, "--to"), runId: o.run };
        const db = await openDatabase(config(), { mustExist: true });
        try {
          let openAt: bigint | undefined;
          if (o.run !== undefined) {
            const run = await recordedRun(db, o.run);
            if (!run) throw new Error(`no run ${o.run} in ${config().dbPath} (tickflow sql "SELECT run_id, pipeline, mode FROM runs" lists them)`);
            if (run.pipeline !== pipeline.decl.name) throw new Error(`run ${o.run} is a run of pipeline ${run.pipeline}, not ${pipeline.decl.name}`);
            if (run.inputs === 0)
              throw new Error(
                `run ${o.run} (${run.mode}) recorded no inputs of its own: only live runs record which inputs they processed; replay without --run`,
              );
            if (run.tz !== undefined && run.tz !== process.versions.tz) {
              process.stderr.write(
                `tickflow: warning: run ${o.run} used time-zone data ${run.tz}, this process has ${process.versions.tz}: session and day boundaries may differ\n`,
              );
            }
            if (run.digest) process.stderr.write(`tickflow: run ${o.run} (${run.mode}, ${run.status}) recorded digest ${run.digest}\n`);
            openAt = run.openAt;
            if (openAt !== undefined)
              process.stderr.write(
                `tickflow: run ${o.run} is open (${run.status}, continues from its checkpoint): replaying up to its watermark ${nsToIso(openAt)}, without flushing open windows\n`,
              );
          }
          const total = await countInputs(db, pipeline, range);
          if (total === 0) throw new NothingToReplayError(nothingToReplay(pipeline, range, config().dbPath));
          const bar = progressBar("replay", total, "events");
          const backtest = backtestHook(pipeline); // trading pipelines: statistics before the digest line
          const runId = o.runId ?? defaultRunId("replay", pipeline.decl.name);
          const t0 = performance.now();
          const summary = await replay({
            pipeline,
            db,
            runId,
            range,
            batchSize: Number(o.batch),
            record: o.record,
            extraSinks: [
              ...(o.print
                ? pipeline.sinks.filter((s) => s.type === "console").map((s) => ({ port: new ConsoleOutputSink((l) => console.log(l)), node: s.input }))
                : []),
              ...backtest.sinks,
            ],
            onProgress: (n, ts) => bar.update(n, total, { info: nsToIso(ts).slice(0, 19) }),
            openAt,
          });
          bar.stop();
          const secs = (performance.now() - t0) / 1000;
          console.log(
            `replayed ${summary.counters.inputs} events in ${secs.toFixed(2)} s (${Math.round(summary.counters.inputs / Math.max(secs, 1e-6)).toLocaleString("en-US")} events/s)`,
          );
          await backtest.print(db, (l) => console.log(l));
          printSummary(summary);
        } finally {
          await db.close();
        }
      },
    );
}

/** A replay that would read nothing: an error with what was looked for and how to record it, never a digest of nothing. */
export class NothingToReplayError extends TickflowError {
  static override readonly code = "NOTHING_TO_REPLAY";
  override readonly name = "NothingToReplayError";
}

function nothingToReplay(p: CompiledPipeline, range: { fromNs?: bigint; toNs?: bigint }, dbPath: string): string {
  const wanted = p.sources.map((s) => `${s.name} (${s.kind}: ${s.subjects.join(", ")})`).join("; ");
  const span =
    range.fromNs !== undefined || range.toNs !== undefined
      ? ` between ${range.fromNs !== undefined ? nsToIso(range.fromNs) : "the start"} and ${range.toNs !== undefined ? nsToIso(range.toNs) : "the end"}`
      : "";
  return `nothing to replay: ${dbPath} holds no recorded inputs for pipeline ${p.decl.name}'s sources ${wanted}${span}. Import a file first (e.g. tickflow import ../shared/data/market/orcl-1995-2014.txt --symbol ORCL), or record a live run (tickflow run ${p.decl.name}); tickflow sql "SELECT subject, count(*) FROM bars GROUP BY 1" shows what is recorded`;
}

/** What the replay will read: the sources' recorded inputs under their subjects and the range (or a live run's own inputs). */
async function countInputs(db: Database, p: CompiledPipeline, range: { fromNs?: bigint; toNs?: bigint; runId?: string }): Promise<number> {
  if (range.runId !== undefined) return (await recordedRun(db, range.runId))?.inputs ?? 0;
  let n = 0;
  for (const c of (await countRecording(db, p.sources, range)).values()) n += c;
  return n;
}
