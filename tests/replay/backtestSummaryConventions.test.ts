// The statistics conventions on the shipped ORCL daily bars (1995-2014) through pipelines/sma-crossover.yaml:
// each library's figures recomputed here from its published formulas (backtesting.py backtesting/_stats.py,
// backtrader analyzers/*.py), written independently of trading/statsConventions.ts; plus the kill-switch and
// rejection flags, the session-dated period line and the report in headless Chromium.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withDatabase, tempDir } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { replay } from "../../replay/replay.ts";
import { loadReportRun, type ReportRun } from "../../replay/report.ts";
import { renderReportHtml } from "../../replay/reportHtml.ts";
import { formatStatsTable } from "../../replay/backtestSummary.ts";
import { parseMarketFile } from "../../sources/importers/parseMarketFile.ts";

const ORCL = fileURLToPath(new URL("../../../shared/data/market/orcl-1995-2014.txt", import.meta.url));
const SMA = fileURLToPath(new URL("../../pipelines/sma-crossover.yaml", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const DAY = 86_400_000_000_000n;

function orcl(): Bar[] {
  const r = parseMarketFile(readFileSync(ORCL, "utf8"), { symbol: "ORCL", file: ORCL });
  if (r.kind !== "bar") throw new Error("ORCL did not parse as bars");
  return r.bars;
}

async function runs(): Promise<{ bars: Bar[]; tf: ReportRun; bt: ReportRun; btr: ReportRun; killed: ReportRun }> {
  const { dir, cleanup } = tempDir();
  try {
    // A daily-loss limit of 500 trips on the first bad day: the kill switch flattens and rejects what follows.
    const tight = join(dir, "sma-tight.yaml");
    writeFileSync(tight, readFileSync(SMA, "utf8").replace("maxDailyLoss: 25000", "maxDailyLoss: 500").replace("name: sma-crossover", "name: sma-tight"));
    return await withDatabase(async (db) => {
      const bars = orcl();
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        bars,
        bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
      );
      await replay({ pipeline: await loadPipeline(SMA), db, runId: "sma" });
      await replay({ pipeline: await loadPipeline(tight), db, runId: "tight" });
      return {
        bars,
        tf: await loadReportRun(db, "sma"),
        bt: await loadReportRun(db, "sma", { convention: "backtesting.py" }),
        btr: await loadReportRun(db, "sma", { convention: "backtrader" }),
        killed: await loadReportRun(db, "tight"),
      };
    });
  } finally {
    cleanup();
  }
}

const rel = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
const expectClose = (got: number | bigint | undefined, want: number, label: string) => {
  expect(typeof got, label).toBe("number");
  expect(rel(got as number, want), `${label}: ${got} vs ${want}`).toBeLessThan(1e-9);
};
const figures = (r: ReportRun) => new Map(r.summary.figures!.map((f) => [f.label, f.value]));

describe("statistics conventions on ORCL 1995-2014, sma-crossover", async () => {
  // The real data sits beside the repository (../shared/data); without it the suite fails, it is never skipped.
  if (!existsSync(ORCL)) throw new Error(`${ORCL} is missing: clone the repository with ../shared beside it`);
  const { bars, tf, bt, btr, killed } = await runs();
  // One equity value per bar (the curve's first point is the start before the first bar), indexed by session date = tsOpen's day.
  const equity = tf.summary.curve.slice(1).map((p) => p.equity);
  const dates = bars.map((b) => b.tsOpen);
  const close = bars.map((b) => b.close);
  const trades = tf.summary.trades;

  it("backtesting.py: _stats.py compute_stats lines, recomputed", () => {
    const f = figures(bt);
    expect(equity).toHaveLength(bars.length);
    expectClose(f.get("Return [%]"), ((equity.at(-1)! - equity[0]!) / equity[0]!) * 100, "Return");
    expectClose(f.get("Buy & Hold Return [%]"), ((close.at(-1)! - close[0]!) / close[0]!) * 100, "B&H");
    // Daily bars on weekdays: 252 days; resample('D').last() is one value per bar here; pct_change's leading NaN counts as 0.
    const dr = [0];
    for (let i = 1; i < equity.length; i++) dr.push(equity[i]! / equity[i - 1]! - 1);
    let logSum = 0;
    for (const r of dr) logSum += Math.log(1 + r);
    const g = Math.exp(logSum / dr.length) - 1;
    const annRet = (1 + g) ** 252 - 1;
    const rs = dr.slice(1);
    const m = rs.reduce((a, b) => a + b, 0) / rs.length;
    const v = rs.reduce((a, x) => a + (x - m) * (x - m), 0) / (rs.length - 1);
    const annVol = Math.sqrt((v + (1 + g) ** 2) ** 252 - (1 + g) ** 504);
    expectClose(f.get("Return (Ann.) [%]"), annRet * 100, "Return (Ann.)");
    expectClose(f.get("Volatility (Ann.) [%]"), annVol * 100, "Volatility (Ann.)");
    expectClose(f.get("Sharpe Ratio"), annRet / annVol, "Sharpe");
    const down = Math.sqrt(rs.reduce((a, x) => a + (x < 0 ? x * x : 0), 0) / rs.length) * Math.sqrt(252);
    expectClose(f.get("Sortino Ratio"), annRet / down, "Sortino");
    const years = Number(dates.at(-1)! - dates[0]!) / Number(DAY) / 252;
    expectClose(f.get("CAGR [%]"), ((equity.at(-1)! / equity[0]!) ** (1 / years) - 1) * 100, "CAGR");
    let peak = 0;
    let maxDd = 0;
    for (const e of equity) {
      peak = e > peak ? e : peak;
      maxDd = Math.max(maxDd, 1 - e / peak);
    }
    expectClose(f.get("Max. Drawdown [%]"), -maxDd * 100, "Max DD");
    expectClose(f.get("Calmar Ratio"), annRet / maxDd, "Calmar");
    // Beta from np.cov of the bar log returns.
    const el = equity.slice(1).map((e, i) => Math.log(e / equity[i]!));
    const ml = close.slice(1).map((c, i) => Math.log(c / close[i]!));
    const me = el.reduce((a, b) => a + b, 0) / el.length;
    const mm = ml.reduce((a, b) => a + b, 0) / ml.length;
    let cov = 0;
    let vm = 0;
    for (let i = 0; i < el.length; i++) {
      cov += (el[i]! - me) * (ml[i]! - mm);
      vm += (ml[i]! - mm) ** 2;
    }
    const beta = cov / vm;
    expectClose(f.get("Beta"), beta, "Beta");
    const ret = ((equity.at(-1)! - equity[0]!) / equity[0]!) * 100;
    expectClose(f.get("Alpha [%]"), ret - beta * (((close.at(-1)! - close[0]!) / close[0]!) * 100), "Alpha");
    const pl = trades.map((t) => t.pnl);
    const rr = trades.map((t) => t.returnPct);
    const wins = pl.filter((p) => p > 0);
    const losses = pl.filter((p) => p < 0);
    const w = wins.length / pl.length;
    expect(f.get("# Trades")).toBe(pl.length);
    expectClose(f.get("Win Rate [%]"), w * 100, "Win rate");
    const pos = rr.filter((x) => x > 0).reduce((a, b) => a + b, 0);
    const neg = rr.filter((x) => x < 0).reduce((a, b) => a + b, 0);
    expectClose(f.get("Profit Factor"), pos / -neg, "Profit factor");
    expectClose(f.get("Expectancy [%]"), (rr.reduce((a, b) => a + b, 0) / rr.length) * 100, "Expectancy");
    const mp = pl.reduce((a, b) => a + b, 0) / pl.length;
    const sdp = Math.sqrt(pl.reduce((a, x) => a + (x - mp) ** 2, 0) / (pl.length - 1));
    expectClose(f.get("SQN"), (Math.sqrt(pl.length) * mp) / sdp, "SQN");
    const avgWin = wins.reduce((a, b) => a + b, 0) / wins.length;
    const avgLoss = -losses.reduce((a, b) => a + b, 0) / losses.length;
    expectClose(f.get("Kelly Criterion"), w - (1 - w) / (avgWin / avgLoss), "Kelly");
    expectClose(f.get("Avg. Trade [%]"), (Math.exp(rr.reduce((a, x) => a + Math.log(1 + x), 0) / rr.length) - 1) * 100, "Avg trade");
  });

  it("backtrader: SQN, SharpeRatio (years, rf 0.01), DrawDown, Returns, TradeAnalyzer, broker cash", () => {
    const f = figures(btr);
    const pl = trades.map((t) => t.pnl);
    const mp = pl.reduce((a, b) => a + b, 0) / pl.length;
    expectClose(f.get("SQN.sqn"), (Math.sqrt(pl.length) * mp) / Math.sqrt(pl.reduce((a, x) => a + (x - mp) ** 2, 0) / pl.length), "SQN");
    // TimeReturn(Years): the last value of each calendar year (session dates) over the previous year's last value.
    const yearEnd = new Map<number, number>();
    dates.forEach((d, i) => yearEnd.set(new Date(Number(d / 1_000_000n)).getUTCFullYear(), equity[i]!));
    const ends = [tf.summary.curve[0]!.equity, ...yearEnd.values()];
    const ex = ends.slice(1).map((e, i) => e / ends[i]! - 1 - 0.01);
    const mex = ex.reduce((a, b) => a + b, 0) / ex.length;
    expectClose(f.get("SharpeRatio.sharperatio"), mex / Math.sqrt(ex.reduce((a, x) => a + (x - mex) ** 2, 0) / ex.length), "Sharpe");
    let peak = -Infinity;
    let maxMoney = 0;
    let maxPct = 0;
    let run = 0;
    let longest = 0;
    for (const e of equity) {
      peak = Math.max(peak, e);
      maxMoney = Math.max(maxMoney, peak - e);
      maxPct = Math.max(maxPct, (100 * (peak - e)) / peak);
      run = peak - e > 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expectClose(f.get("DrawDown.max.moneydown"), maxMoney, "moneydown");
    expectClose(f.get("DrawDown.max.drawdown"), maxPct, "drawdown");
    expect(f.get("DrawDown.max.len")).toBe(longest);
    const rtot = Math.log(equity.at(-1)! / tf.summary.curve[0]!.equity);
    expectClose(f.get("Returns.rtot"), rtot, "rtot");
    expectClose(f.get("Returns.rnorm"), Math.exp((rtot / equity.length) * 252) - 1, "rnorm");
    expect(f.get("TradeAnalyzer.won.total")).toBe(pl.filter((p) => p >= 0).length);
    expectClose(f.get("TradeAnalyzer.pnl.net.total"), mp * pl.length, "pnl net");
    let cash = tf.summary.curve[0]!.equity;
    for (const x of tf.record.fills) cash += (x.side === "sell" ? x.qty : -x.qty) * x.price - x.commission;
    expectClose(f.get("broker.getcash()"), cash, "cash");
    expectClose(f.get("broker.getvalue()"), equity.at(-1)!, "value");
  });

  it("tickflow: the table names its convention and the period runs between real weekday bar dates", () => {
    const table = formatStatsTable(tf.summary);
    expect(table.split("\n")[0]).toBe("backtest statistics, tickflow convention (formulas: docs/statistics.md)");
    expect(formatStatsTable(bt.summary).split("\n")[0]).toContain("backtesting.py convention");
    const [, from, to] = /period\s+(\S+) → (\S+)/.exec(table)!;
    const barDates = new Set(bars.map((b) => new Date(Number(b.tsOpen / 1_000_000n)).toISOString().slice(0, 10)));
    for (const d of [from!, to!]) {
      expect(barDates.has(d), d).toBe(true);
      expect([1, 2, 3, 4, 5]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
    }
    expect(from).toBe("1995-01-03");
    expect(table).toMatch(/SQN \(population stdev\)/);
    expect(table).toMatch(/Kelly/);
    expect(table).not.toMatch(/KILL SWITCH/);
  });

  it("a tripped kill switch and the rejected orders come first in the table and on a red banner in the report", () => {
    const flags = killed.summary.flags;
    expect(flags.killSwitch.count).toBeGreaterThan(0);
    expect(flags.rejected.count).toBeGreaterThan(0);
    expect(flags.rejected.count).toBe(killed.record.orders.filter((o) => o.status === "rejected").length);
    const lines = formatStatsTable(killed.summary).split("\n");
    expect(lines[1]).toMatch(/^ {2}KILL SWITCH TRIPPED\s+\d+× ; first \d{4}-\d\d-\d\d/);
    expect(lines[2]).toMatch(new RegExp(`^  REJECTED ORDERS\\s+${flags.rejected.count} \\(`));
    const html = renderReportHtml([killed]);
    expect(html).toMatch(/<div class="banner" data-flag="KILL SWITCH TRIPPED">/);
    expect(html).toMatch(/<div class="banner" data-flag="REJECTED ORDERS">/);
    expect(renderReportHtml([tf])).not.toMatch(/class="banner"/);
  });

  it("the report carries the buy-and-hold curve (starting equity × close / first close)", () => {
    const data = JSON.parse(renderReportHtml([tf]).match(/<script id="report-data" type="application\/json">(.*?)<\/script>/s)![1]!);
    const bh = data.runs[0].buyAndHold as [number, number][];
    expect(bh).toHaveLength(tf.summary.curve.length);
    expect(bh.at(-1)![1]).toBeCloseTo((tf.summary.curve[0]!.equity * close.at(-1)!) / close[0]!, 6);
    expect(data.runs[0].trades[0][3]).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it("renders the flags and the buy-and-hold series in headless Chromium without errors", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install -y chromium)`).toBe(true);
    const { chromium } = await import("playwright-core");
    const { dir, cleanup } = tempDir();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      const file = join(dir, "report.html");
      writeFileSync(file, renderReportHtml([killed]));
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(`file://${file}`);
      await page.waitForSelector("body[data-rendered=true]");
      expect(errors).toEqual([]);
      expect(await page.$$eval(".banner", (bs) => bs.map((b) => b.textContent ?? ""))).toEqual([
        expect.stringMatching(/^KILL SWITCH TRIPPED: /),
        expect.stringMatching(/^REJECTED ORDERS: \d+/),
      ]);
      expect(await page.$$eval("#equity canvas", (cs) => cs.length)).toBeGreaterThan(0);
      expect(await page.textContent("h2:has-text('buy and hold')")).toMatch(/buy and hold/);
    } finally {
      await browser.close();
      cleanup();
    }
  });
});
