// tickflow report: a replayed trading run loaded back from DuckDB becomes a self-contained HTML page with its
// data and the charts bundle inlined; it renders offline in headless Chromium (skipped without /usr/bin/chromium).
import { describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withDatabase, tempDir } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { BarMessage } from "../../schemas/bar.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { replay } from "../../replay/replay.ts";
import { loadReportRun, ReportError } from "../../replay/report.ts";
import { renderReportHtml } from "../../replay/reportHtml.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const pipelineFile = (name: string) => fileURLToPath(new URL(`../../pipelines/${name}`, import.meta.url));

async function twoRuns() {
  return withDatabase(async (db) => {
    const bars = orclBars();
    await new DuckDbRecorder(db).writeInputs(
      BarMessage,
      bars,
      bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
    );
    await replay({ pipeline: await loadPipeline(pipelineFile("sma-crossover.yaml")), db, runId: "sma" });
    await replay({ pipeline: await loadPipeline(pipelineFile("momentum-trading.yaml")), db, runId: "momentum" });
    await expect(loadReportRun(db, "nope")).rejects.toThrow(ReportError);
    await expect(loadReportRun(db, "nope")).rejects.toThrow(
      /run nope has no equity snapshots.*Runs with equity: sma, momentum|Runs with equity: momentum, sma/,
    );
    return { bars, runs: [await loadReportRun(db, "sma"), await loadReportRun(db, "momentum")] };
  });
}

describe("tickflow report", async () => {
  const { bars, runs } = await twoRuns();
  const html = renderReportHtml(runs);

  it("loads the run back with its statistics, fills and bars", () => {
    const [sma] = runs;
    expect(sma!.pipeline).toBe("sma-crossover");
    expect(sma!.record.equity).toHaveLength(bars.length);
    expect(sma!.record.fills.length).toBeGreaterThan(0);
    expect(sma!.bars.ORCL).toHaveLength(bars.length);
    expect(sma!.summary.stats.trades).toBe(sma!.summary.trades.length);
    expect(sma!.summary.stats.buyAndHoldReturn).toBeCloseTo(bars.at(-1)!.close / bars[0]!.open - 1, 12);
  });

  it("shows the strategy's parameters and costs the run recorded with it", () => {
    const [sma] = runs;
    expect(sma!.parameters).toMatchObject({ broker: { startingCash: 100000, commission: { perUnit: 0.005, minimum: 1 }, strategy: { name: "sma10x30" } } });
    expect(html).toContain("sma10x30");
    expect(html).not.toContain("parameters not recorded");
  });

  it("is self-contained: the charts bundle and the data inline, no external URL", () => {
    expect(html.includes("TradingView Lightweight Charts")).toBe(true);
    expect(/<script[^>]+src=/.test(html)).toBe(false);
    expect(/<link[^>]+href=/.test(html)).toBe(false);
    // (The bundle itself mentions URLs such as the SVG namespace; the browser test checks nothing is requested.)
    const data = JSON.parse(html.match(/<script id="report-data" type="application\/json">(.*?)<\/script>/s)![1]!);
    expect(data.runs.map((r: { runId: string }) => r.runId)).toEqual(["sma", "momentum"]);
    expect(data.runs[0].equity).toHaveLength(bars.length + 1);
    expect(data.runs[0].equity.at(-1)[1]).toBeCloseTo(runs[0]!.record.equity.at(-1)!.equity, 9);
    expect(data.runs[0].trades).toHaveLength(runs[0]!.summary.trades.length);
    expect(data.candles.ORCL).toHaveLength(bars.length);
    expect(html.includes("<td>max drawdown</td>")).toBe(true);
  });

  it(`renders offline in headless Chromium (needs ${CHROMIUM}: apt-get install -y chromium)`, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required`).toBe(true);
    const { chromium } = await import("playwright-core");
    const { dir, cleanup } = tempDir();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const file = join(dir, "report.html");
      writeFileSync(file, html);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const external: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) external.push(r.url());
      });
      await page.goto(`file://${file}`);
      await page.waitForSelector("body[data-rendered=true]");
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      // equity, drawdown, positions and price charts each draw on canvases; the trade lists are filled in.
      for (const id of ["equity", "drawdown", "positions", "price"]) expect(await page.$$eval(`#${id} canvas`, (cs) => cs.length), id).toBeGreaterThan(0);
      expect(await page.$$eval("#tradeLists tbody tr", (rs) => rs.length)).toBe(runs[0]!.summary.trades.length + runs[1]!.summary.trades.length);
      const png = await page.screenshot({ fullPage: true });
      expect(png.length).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
      cleanup();
    }
  });
});
