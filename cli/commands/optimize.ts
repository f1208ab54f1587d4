// `tickflow optimize PIPELINE --param PATH=SPEC ...`: a parameter sweep over the recording, loaded once and run
// in memory on worker threads; ranked table, walk-forward, PBO and DSR, optionally an HTML report.
import { availableParallelism } from "node:os";
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parseTimeOption } from "../context.ts";
import { config, openDatabase } from "../../app/environment.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { loadUserOperators } from "../../app/userOperators.ts";
import { loadDeclaration } from "../../pipeline/load.ts";
import { compilePipeline } from "../../pipeline/graph.ts";
import { loadInputs, optimizeLoaded, planVariants, type OptimizeResult } from "../../replay/optimize/optimize.ts";
import { parseParam, OptimizeParamError } from "../../replay/optimize/params.ts";
import { RANK_STATS, type RankStat } from "../../replay/optimize/walkForward.ts";
import { dsrVerdict, pboVerdict } from "../../replay/optimize/overfitting.ts";
import { renderOptimizeHtml } from "../../replay/optimize/reportHtml.ts";
import { nsToIso } from "../../schemas/time.ts";
import { progressBar } from "../progress.ts";

const SUMMARY = "sweep a pipeline's parameters over the recording (grid or seeded random), rank by a statistic, walk-forward, PBO and deflated Sharpe";

interface Opts {
  param: string[];
  method: string;
  samples: string;
  seed: string;
  rank: string;
  constraint: string[];
  from?: string;
  to?: string;
  walkForward?: string;
  inSampleFraction: string;
  workers?: string;
  top: string;
  out?: string;
  heatmap?: string;
  json?: boolean;
  batch: string;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function register(program: Command): void {
  program
    .command("optimize")
    .description(SUMMARY)
    .argument("<pipeline>", "pipeline declaration (YAML or JSON)")
    .option("--param <path=spec>", "a parameter to sweep: <node>.<path into params>=lo..hi:step or a,b,c (repeatable)", collect, [])
    .option("--method <grid|random>", "every grid point, or a seeded random sample of them", "grid")
    .option("--samples <n>", "random: how many grid points", "50")
    .option("--seed <n>", "random: the seed", "1")
    .option("--rank <stat>", `statistic to rank by: ${RANK_STATS.join(", ")}`, "sharpe")
    .option("--constraint <expr>", 'keep variants where e.g. "p1 < p2" (parameters by path or p1, p2 in order; repeatable)', collect, [])
    .option("--from <time>", "first event time (ISO-8601, inclusive)")
    .option("--to <time>", "last event time (ISO-8601, exclusive)")
    .option("--walk-forward <k>", "walk-forward over K consecutive folds")
    .option("--in-sample-fraction <f>", "walk-forward: in-sample share of each fold", "0.7")
    .option("--workers <n>", "worker threads (0: in this thread); default: available parallelism")
    .option("--top <n>", "rows of the ranked table", "10")
    .option("--heatmap <x,y>", "report: the two parameters of the heatmap (paths or p1,p2); default the first two")
    .option("--out <file>", "write an HTML report")
    .option("--json", "print the results as JSON instead of tables")
    .option("--batch <n>", "inputs per batch", "8192")
    .action(async (file: string, o: Opts) => {
      const params = o.param.map(parseParam);
      if (!(RANK_STATS as readonly string[]).includes(o.rank)) throw new OptimizeParamError(`--rank ${o.rank}: one of ${RANK_STATS.join(", ")}`);
      const { decl, source } = loadDeclaration(file);
      const userOperators = await loadUserOperators(decl, file, source);
      const base = compilePipeline(decl, source, CONNECTORS, userOperators);
      const workers = o.workers === undefined ? availableParallelism() : Number(o.workers);
      if (!Number.isInteger(workers) || workers < 0) throw new OptimizeParamError(`--workers ${o.workers}: a whole number >= 0`);
      const opts = {
        decl,
        source,
        connectors: CONNECTORS,
        userOperators,
        params,
        method: o.method === "random" ? ("random" as const) : ("grid" as const),
        samples: Number(o.samples),
        seed: Number(o.seed),
        constraints: o.constraint,
        rank: o.rank as RankStat,
        walkForward: o.walkForward ? { folds: Number(o.walkForward), inSampleFraction: Number(o.inSampleFraction) } : undefined,
        workers,
      };
      if (o.method !== "grid" && o.method !== "random") throw new OptimizeParamError(`--method ${o.method}: grid or random`);
      const n = planVariants(opts).variants.length; // bad paths and values fail here, before the recording is read
      const db = await openDatabase(config(), { mustExist: true });
      const range = { fromNs: parseTimeOption(o.from, "--from"), toNs: parseTimeOption(o.to, "--to") };
      const inputs = await loadInputs(db, base, range, Number(o.batch)).finally(() => db.close());
      const bar = progressBar("optimize", n, "variants");
      const t0 = performance.now();
      const r = await optimizeLoaded({ ...opts, onProgress: (d) => bar.update(d, n) }, inputs);
      bar.stop();
      const secs = (performance.now() - t0) / 1000;
      if (o.json) console.log(JSON.stringify(toJson(r, secs, workers), null, 2));
      else printResult(r, Number(o.top), secs, workers);
      if (o.out) {
        writeFileSync(o.out, renderOptimizeHtml(r, { heatmap: o.heatmap?.split(",").map((s) => s.trim()), pipeline: decl.name }));
        if (!o.json) console.log(`report: ${o.out}`);
      }
    });
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : String(x));
const fix = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));
const day = (ns: bigint): string => nsToIso(ns).slice(0, 10);

function table(header: string[], rows: string[][]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => "  " + c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join("  ");
  return [line(header), ...rows.map(line)];
}

function printResult(r: OptimizeResult, top: number, secs: number, workers: number): void {
  const out: string[] = [];
  out.push(`${r.runs.length} variants in ${secs.toFixed(2)} s (${(r.runs.length / Math.max(secs, 1e-6)).toFixed(1)} variants/s, ${workers} workers)`);
  out.push(`top ${Math.min(top, r.runs.length)} by ${r.rank} (${day(r.ts[0]!)} → ${day(r.ts.at(-1)!)}):`);
  out.push(
    ...table(
      ["#", ...r.params.map((p) => p.path), r.rank, "total return", "max DD", "trades"],
      r.ranking.slice(0, top).map((i, k) => {
        const s = r.runs[i]!.stats;
        return [String(k + 1), ...r.variants[i]!.map(String), fix(s[r.rank]), pct(s.totalReturn), pct(s.maxDrawdown), String(s.trades)];
      }),
    ),
  );
  if (r.walkForward) {
    const wf = r.walkForward;
    out.push(`walk-forward (${wf.folds.length} folds, chosen by in-sample ${r.rank}; slices of one continuous run per variant):`);
    out.push(
      ...table(
        ["fold", "in-sample", "out-of-sample", "chosen", `IS ${r.rank}`, `OOS ${r.rank}`, "OOS return"],
        wf.folds.map((f) => [
          String(f.fold),
          `${day(r.ts[f.isFrom]!)}..${day(r.ts[f.isTo]!)}`,
          `${day(r.ts[f.isTo]!)}..${day(r.ts[f.oosTo]!)}`,
          r.labels[f.chosen]!,
          fix(f.inSample),
          fix(f.outOfSample),
          pct(f.oosReturn),
        ]),
      ),
    );
    out.push(`  walk-forward OOS total return ${pct(wf.totalReturn)}`);
  }
  out.push(`overfitting: ${pboVerdict(r.pbo.pbo)} (CSCV, ${r.pbo.blocks} blocks, ${r.pbo.splits} splits)`);
  out.push(
    `             ${dsrVerdict(r.dsr)} (best per-period Sharpe ${fix(r.dsr.sharpe)} vs expected max ${fix(r.dsr.sharpe0)} of ${r.dsr.trials} trials, skew ${fix(r.dsr.skewness)}, kurtosis ${fix(r.dsr.kurtosis)})`,
  );
  out.push(`best: ${r.labels[r.best]}`);
  console.log(out.join("\n"));
}

function toJson(r: OptimizeResult, secs: number, workers: number) {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    variants: r.runs.length,
    workers,
    seconds: secs,
    rank: r.rank,
    params: r.params.map((p) => p.path),
    best: { index: r.best, values: r.variants[r.best], [r.rank]: finite(r.runs[r.best]!.stats[r.rank]) },
    ranking: r.ranking.map((i) => {
      const s = r.runs[i]!.stats;
      return {
        index: i,
        values: r.variants[i],
        [r.rank]: finite(s[r.rank]),
        totalReturn: finite(s.totalReturn),
        maxDrawdown: finite(s.maxDrawdown),
        trades: s.trades,
      };
    }),
    walkForward: r.walkForward && {
      totalReturn: r.walkForward.totalReturn,
      folds: r.walkForward.folds.map((f) => ({ ...f, values: r.variants[f.chosen], inSample: finite(f.inSample), outOfSample: finite(f.outOfSample) })),
    },
    pbo: { pbo: finite(r.pbo.pbo), blocks: r.pbo.blocks, splits: r.pbo.splits },
    dsr: Object.fromEntries(Object.entries(r.dsr).map(([k, v]) => [k, finite(v as number)])),
  };
}
