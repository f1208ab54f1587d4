// `tickflow train sentiment`: retrain the sentiment classifier from a labelled CSV, write its JSON and ONNX files,
// verify the ONNX file with onnxruntime-node and, given a validation CSV, report its metrics beside the baselines.
import type { Command } from "commander";
import type { MulticlassMetrics } from "../../models/multiclassMetrics.ts";
import { trainSentimentFiles } from "../../app/sentimentTraining.ts";
import { CSV_CLASSES } from "../../operators/sentiment/sentimentClassifier.ts";

/**
 * Registers `train sentiment` under a `train` group of its own: cli/main.ts loads this module instead of
 * commands/train.ts when the arguments are `train sentiment` (that command's required --pipeline and --run would
 * otherwise be demanded of the subcommand too).
 */
export function register(program: Command): void {
  program
    .command("train")
    .description("train models; `train sentiment` trains the news sentiment classifier")
    .command("sentiment")
    .description("train the sentiment classifier on a labelled CSV (text,label: 0 negative, 1 positive, 2 neutral), export ONNX, verify")
    .requiredOption("--csv <file>", "labelled training CSV (`text,label`)")
    .requiredOption("--out <dir>", "folder to write <name>.json (served by scoreSentiment) and <name>.onnx into")
    .option("--valid <file>", "labelled CSV to measure on (never trained on); its metrics are recorded in the JSON")
    .option("--name <name>", "model name, also the file names", "finance-sentiment")
    .option("--epochs <n>", "passes over the training rows (default: as the shipped model)")
    .action(async (o: { csv: string; out: string; valid?: string; name: string; epochs?: string }) => {
      const epochs = o.epochs === undefined ? undefined : Number(o.epochs);
      if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs ${o.epochs}: expected a whole number >= 1`);
      const r = await trainSentimentFiles({
        trainCsv: o.csv,
        outDir: o.out,
        name: o.name,
        ...(o.valid !== undefined ? { validationCsv: o.valid } : {}),
        ...(epochs !== undefined ? { epochs } : {}),
      });
      console.log(`trained ${r.model.name} on ${r.trainRows} rows of ${o.csv} (${r.model.features.buckets} hashed features, ${CSV_CLASSES.join(" / ")})`);
      if (r.validation) {
        const v = r.validation;
        console.log(`validation ${v.file}, ${v.model.n} rows:`);
        for (const [name, m] of [
          ["model", v.model],
          ["finance lexicon", v.lexicon],
          ["AFINN", v.afinn],
          ["always neutral", v.alwaysNeutral],
        ] as const) {
          console.log(`  ${name.padEnd(16)} accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macroF1.toFixed(4)}  confusion ${confusionText(m)}`);
        }
      }
      console.log(`onnx: verified with onnxruntime on ${r.onnx.rows} rows, max abs diff ${r.onnx.maxAbsDiff.toExponential(2)}, labels equal`);
      console.log(`wrote ${r.jsonPath} and ${r.onnxPath} (${(r.onnxBytes / 1e6).toFixed(1)} MB)`);
    });
}

/** Rows are the true class, columns the predicted one, in CSV order. */
function confusionText(m: MulticlassMetrics): string {
  return m.confusion.map((row) => `[${row.join(" ")}]`).join(" ");
}
