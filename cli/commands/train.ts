// `tickflow train`: train a model on the features a run recorded, export and verify it as ONNX, register it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { progressBar } from "../progress.ts";
import { Database } from "../../io/duckdb/database.ts";
import { loadDeclaration } from "../../pipeline/load.ts";
import { MODEL_KINDS, type ModelKind } from "../../models/model.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { ModelRegistry } from "../../models/registry.ts";
import { trainFromRecording, type TrainStage } from "../../models/trainFromRecording.ts";
import { nsToIso } from "../../schemas/time.ts";

/** Where the registry lives: its own DuckDB file, so `models deploy` works while a run holds the recording. */
export function registryPaths(dataDir: string): { db: string; directory: string } {
  return { db: join(dataDir, "models", "registry.duckdb"), directory: join(dataDir, "models") };
}

export async function openRegistry(dataDir: string): Promise<{ registry: ModelRegistry; close: () => Promise<void> }> {
  const paths = registryPaths(dataDir);
  const db = await Database.open(paths.db);
  const registry = await ModelRegistry.open(db, { directory: paths.directory, clock: { nowNs: () => BigInt(Date.now()) * 1_000_000n } });
  return { registry, close: () => db.close() };
}

/** A pipeline file (its declared name) or a bare pipeline name. */
export function pipelineName(arg: string): string {
  return existsSync(arg) ? loadDeclaration(arg).decl.name : arg;
}

const STAGES: TrainStage[] = ["read", "train", "register", "done"];

export function register(program: Command): void {
  program
    .command("train")
    .description("train a model on the features a run recorded (labels by SQL, walk-forward with embargo), export ONNX, verify, register")
    .requiredOption("--pipeline <file|name>", "pipeline the model is for (its name becomes the deployment key)")
    .requiredOption("--run <id>", "run whose recorded features (table features) to train on")
    .option("--label <spec>", "fwd_return:<bars>[:<threshold>]: 1 when the close <bars> later is up by more than threshold", "fwd_return:5")
    .option("--kind <kind>", `model kind: ${MODEL_KINDS.join(" | ")}`, "logreg")
    .option("--features <list>", "comma-separated features, in order (default: every feature in 90% of the rows)")
    .option("--node <name>", "feature node whose recorded rows to train on (required when the run recorded several)")
    .option(
      "--embargo <bars>",
      "bars of event time purged between training and held-out rows, in the slowest symbol's bars (default and minimum: the label horizon)",
    )
    .option("--train-frac <f>", "fraction of rows (by time) to train on", "0.7")
    .option("--folds <k>", "walk-forward with k expanding folds instead of one split")
    .option("--name <name>", "model name in the registry (default: <pipeline>-<kind>)")
    .option("--no-leak-check", "train even when a feature leaks the label (it equals a later close, or alone predicts the label with AUC > 0.9)")
    .option("--seed <n>", "seed of the permutation and random-signal baselines", "1")
    .action(
      async (o: {
        pipeline: string;
        run: string;
        label: string;
        kind: string;
        features?: string;
        embargo?: string;
        node?: string;
        leakCheck: boolean;
        seed: string;
        trainFrac: string;
        folds?: string;
        name?: string;
      }) => {
        if (!MODEL_KINDS.includes(o.kind as ModelKind)) throw new Error(`--kind ${o.kind}: expected one of ${MODEL_KINDS.join(", ")}`);
        const label = parseLabelSpec(o.label);
        const cfg = config();
        const pipeline = pipelineName(o.pipeline);
        const db = await openDatabase(cfg, { mustExist: true });
        const { registry, close } = await openRegistry(cfg.dataDir);
        const bar = progressBar("train", STAGES.length, "stages");
        try {
          const r = await trainFromRecording(db, registry, {
            pipeline,
            runId: o.run,
            label,
            kind: o.kind as ModelKind,
            ...(o.features
              ? {
                  features: o.features
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
                }
              : {}),
            ...(o.embargo !== undefined ? { embargoBars: int(o.embargo, "--embargo") } : {}),
            ...(o.node !== undefined ? { node: o.node } : {}),
            leakCheck: o.leakCheck,
            seed: int(o.seed, "--seed"),
            ...(o.folds !== undefined ? { folds: int(o.folds, "--folds") } : { trainFrac: Number(o.trainFrac) }),
            ...(o.name ? { name: o.name } : {}),
            onStage: (stage, detail) => bar.update(STAGES.indexOf(stage) + (stage === "done" ? 1 : 0), STAGES.length, { info: `${stage}: ${detail}` }),
          });
          bar.stop();
          const { record, result, data, backtest } = r;
          const m = result.heldOut.metrics;
          const ts = result.heldOut.timestamps;
          const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
          console.log(`model ${record.id} (${record.kind}) for pipeline ${record.pipeline}`);
          console.log(`features (${record.featureNames.length}) of node ${data.node}: ${record.featureNames.join(", ")}`);
          console.log(`labels and backtest prices: ${data.priceSource}`);
          if (data.leftOut.length)
            console.log(`left out by default: ${data.leftOut.map((l) => `${l.name} (${l.reason})`).join(", ")}; name them with --features to use them`);
          console.log(
            `rows: ${data.rowsRead} recorded, ${data.droppedIncomplete} missing a feature (warm-up), ${data.droppedUnlabeled} without a label yet, ${data.rows} used; embargo ${formatDuration(r.embargoNs)} of event time before each test range`,
          );
          console.log(`train window: ${nsToIso(record.trainStartNs)} → ${nsToIso(record.trainEndNs)}`);
          result.folds.forEach((f, i) =>
            console.log(
              `fold ${i + 1}: train rows ${f.train.start}..${f.train.end}, test rows ${f.test.start}..${f.test.end}: accuracy ${f.metrics.accuracy.toFixed(4)}, log loss ${f.metrics.logLoss.toFixed(4)}, AUC ${f.metrics.auc.toFixed(4)}`,
            ),
          );
          const c = r.baselines.classification;
          const rs = r.baselines.backtest;
          console.log(`held-out ${m.rows} rows (${nsToIso(ts[0]!)} → ${nsToIso(ts[ts.length - 1]!)}), positive rate ${m.positiveRate.toFixed(3)}:`);
          console.log(`  accuracy ${m.accuracy.toFixed(4)}   always-majority ${c.majorityAccuracy.toFixed(4)}, coin 0.5000`);
          console.log(`  log loss ${m.logLoss.toFixed(4)}   base rate ${c.baseRateLogLoss.toFixed(4)}, coin ${c.coin.logLoss.toFixed(4)}`);
          console.log(
            `  AUC      ${m.auc.toFixed(4)}   permutation null (${c.permutations} shuffles, seeded) 95% band [${c.aucNullBand[0].toFixed(4)}, ${c.aucNullBand[1].toFixed(4)}], coin 0.5000`,
          );
          console.log(
            `backtest on held-out (long for the next bar when p > 0.5, equal weight per symbol, no costs): strategy ${pct(backtest.strategyReturn)} vs buy-and-hold ${pct(backtest.buyAndHoldReturn)}; exposure ${(backtest.exposure * 100).toFixed(1)}%, ${backtest.entries} entries`,
          );
          console.log(
            `  random long/flat signals with the same exposure (${rs.draws} draws): 5% ${pct(rs.randomReturn.p5)}, median ${pct(rs.randomReturn.p50)}, 95% ${pct(rs.randomReturn.p95)}; the model is at the ${ordinal(Math.round(rs.modelPercentile * 100))} percentile`,
          );
          console.log(r.baselines.fails.length === 0 ? "verdict: beats every baseline above" : `verdict: NO EDGE SHOWN: ${r.baselines.fails.join("; ")}`);
          console.log(`onnx: verified with onnxruntime, max abs diff ${result.onnx!.maxAbsDiff.toExponential(2)} (limit 1e-6)`);
          console.log(`registered: ${record.filePath} sha256 ${record.sha256}`);
          console.log(`deploy with: tickflow models deploy ${record.id}`);
        } finally {
          bar.stop();
          await close();
          await db.close();
        }
      },
    );
}

function int(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${s}: expected a whole number`);
  return n;
}

/** 86400000000000n → "1d", 300000000000n → "5m". */
function formatDuration(ns: bigint): string {
  const units: [string, bigint][] = [
    ["d", 86_400_000_000_000n],
    ["h", 3_600_000_000_000n],
    ["m", 60_000_000_000n],
    ["s", 1_000_000_000n],
  ];
  for (const [u, size] of units) if (ns >= size && ns % size === 0n) return `${ns / size}${u}`;
  return `${Number(ns) / 1e9}s`;
}

/** 1 → "1st", 51 → "51st", 12 → "12th". */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${suffix}`;
}
