// `tickflow report RUN_ID [--compare OTHER_RUN]`: a self-contained HTML backtest report (works offline).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { loadReportRun } from "../../replay/report.ts";
import { renderReportHtml } from "../../replay/reportHtml.ts";
import { STATS_CONVENTIONS, type StatsConvention } from "../../trading/statsConventions.ts";

export function register(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report of a trading run: equity, drawdown, positions, trades on price, statistics, trade list")
    .argument("<run-id>", "run id of a replay or live run that recorded equity snapshots")
    .option("--compare <run-id>", "overlay a second run")
    .option("--out <file>", "output file (default: report-<run-id>.html)")
    .option("--risk-free <rate>", "annual risk-free rate for Sharpe/Sortino, as a fraction (default: the run's recorded stats.riskFreeRate, else 0)")
    .option(
      "--stats <convention>",
      `statistics convention: ${STATS_CONVENTIONS.join(", ")} (default: the run's recorded declaration, else tickflow; docs/statistics.md)`,
    )
    .action(async (runId: string, o: { compare?: string; out?: string; riskFree?: string; stats?: string }) => {
      if (o.stats !== undefined && !(STATS_CONVENTIONS as readonly string[]).includes(o.stats))
        throw new Error(`--stats must be one of ${STATS_CONVENTIONS.join(", ")}, got ${JSON.stringify(o.stats)}`);
      const convention = o.stats as StatsConvention | undefined;
      const riskFreeRate = o.riskFree === undefined ? undefined : Number(o.riskFree);
      if (riskFreeRate !== undefined && !Number.isFinite(riskFreeRate))
        throw new Error(`--risk-free must be a number like 0.02, got ${JSON.stringify(o.riskFree)}`);
      const db = await openDatabase(config(), { mustExist: true });
      try {
        const runs = [await loadReportRun(db, runId, { riskFreeRate, convention })];
        if (o.compare) runs.push(await loadReportRun(db, o.compare, { riskFreeRate, convention }));
        const out = resolve(
          o.out ??
            `report-${[runId, o.compare]
              .filter(Boolean)
              .join("-vs-")
              .replace(/[^A-Za-z0-9_.-]/g, "_")}.html`,
        );
        const html = renderReportHtml(runs);
        writeFileSync(out, html);
        const s = runs[0]!.summary.stats;
        console.log(
          `wrote ${out} (${Math.round(html.length / 1024)} KiB, offline): ${runId}: ${runs[0]!.record.fills.length} fills, ${s.trades} trades, total return ${(s.totalReturn * 100).toFixed(2)} %, max drawdown ${(s.maxDrawdown * 100).toFixed(2)} %${o.compare ? `; compared with ${o.compare}` : ""}`,
        );
      } finally {
        await db.close();
      }
    });
}
