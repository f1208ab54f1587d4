// Renders one trading run (or two, overlaid) as a self-contained HTML page that works offline: the
// lightweight-charts standalone bundle and the data are inlined; no CDN, no fetch. Pure: same runs, same bytes.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { sessionTimeNs, nsToIso } from "../schemas/time.ts";
import { timeframeNs } from "../schemas/timeframe.ts";
import type { Bar } from "../schemas/bar.ts";
import { flagRows, statsRows } from "./backtestSummary.ts";
import type { ReportRun } from "./report.ts";

const COLORS = [
  { line: "#2962ff", buy: "#089981", sell: "#f23645", shape: { buy: "arrowUp", sell: "arrowDown" } },
  { line: "#ff9800", buy: "#7cb342", sell: "#ab47bc", shape: { buy: "circle", sell: "square" } },
] as const;

/** The lightweight-charts standalone bundle from node_modules (UMD; defines window.LightweightCharts). */
export function chartsBundle(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("lightweight-charts/package.json");
  return readFileSync(pkg.replace(/package\.json$/, "dist/lightweight-charts.standalone.production.js"), "utf8");
}

const sec = (ns: bigint): number => Number(ns / 1_000_000_000n);

/** Index of the bar whose interval holds `ts` (else the last bar opened before it). */
function barAt(bars: readonly Bar[], ts: bigint): number {
  let lo = 0;
  let hi = bars.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.tsOpen <= ts) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The JSON the page's script draws from. */
export function reportData(runs: readonly ReportRun[]) {
  const candles: Record<string, [number, number, number, number, number][]> = {};
  for (const run of runs) for (const [sym, bars] of Object.entries(run.bars)) candles[sym] ??= bars.map((b) => [sec(b.tsOpen), b.open, b.high, b.low, b.close]);
  return {
    candles,
    runs: runs.map((run, i) => {
      const c = COLORS[i % COLORS.length]!;
      const curve = run.summary.curve;
      const barNs = timeframeNs(run.summary.timeframe);
      // Trade times shown as the bar's session (a daily bar stamped at the next midnight shows the day it traded).
      const shown = (ts: bigint): string => {
        const iso = nsToIso(sessionTimeNs(ts, barNs));
        return barNs >= 86_400_000_000_000n ? iso.slice(0, 10) : iso.slice(0, 19).replace("T", " ");
      };
      let peak = -Infinity;
      const positions: Record<string, [number, number][]> = {};
      for (const p of run.record.positions) {
        const s = (positions[p.symbol] ??= []);
        const t = sec(p.tsEvent);
        if (s.at(-1)?.[0] === t) s[s.length - 1] = [t, p.qty];
        else s.push([t, p.qty]);
      }
      const markers: Record<string, { time: number; position: string; color: string; shape: string; text: string }[]> = {};
      for (const f of run.record.fills) {
        const bars = run.bars[f.symbol];
        const time = bars?.length ? sec(bars[barAt(bars, f.tsPrice)]!.tsOpen) : sec(f.tsPrice);
        (markers[f.symbol] ??= []).push({
          time,
          position: f.side === "buy" ? "belowBar" : "aboveBar",
          color: f.side === "buy" ? c.buy : c.sell,
          shape: c.shape[f.side],
          // Labels only while they stay readable; the trade list has the numbers.
          text: run.record.fills.length <= 80 ? `${runs.length > 1 ? `${i + 1}:` : ""}${f.side === "buy" ? "B" : "S"} ${f.qty}` : "",
        });
      }
      for (const m of Object.values(markers)) m.sort((a, b) => a.time - b.time);
      return {
        runId: run.runId,
        pipeline: run.pipeline,
        mode: run.mode,
        color: c.line,
        equity: curve.map((p) => [sec(p.tsEvent), p.equity]),
        buyAndHold: (run.summary.buyAndHoldCurve ?? []).map((v, k) => [sec(curve[k]!.tsEvent), v]),
        flags: flagRows(run.summary.flags, barNs),
        convention: run.summary.convention,
        parameters: run.parameters === undefined ? "parameters not recorded" : JSON.stringify(run.parameters, null, 2),
        drawdown: curve.map((p) => {
          peak = Math.max(peak, p.equity);
          return [sec(p.tsEvent), -(1 - p.equity / peak) * 100];
        }),
        positions,
        markers,
        fills: run.record.fills.length,
        stats: statsRows(run.summary),
        trades: run.summary.trades.map((t) => [
          t.symbol,
          t.side,
          t.qty,
          shown(t.entryTs),
          t.entryPrice,
          shown(t.exitTs),
          t.exitPrice,
          t.commission,
          t.pnl,
          t.returnPct,
        ]),
      };
    }),
  };
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
/** JSON safe inside a <script> element. */
export const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");

/** The whole page. `bundle` is the charts library source (chartsBundle()); tests may pass a stub. */
export function renderReportHtml(runs: readonly ReportRun[], bundle = chartsBundle()): string {
  const data = reportData(runs);
  const title = runs.length > 1 ? `${runs[0]!.runId} vs ${runs[1]!.runId}` : runs[0]!.runId;
  const statsHead = runs.map((r, i) => `<th style="color:${COLORS[i % COLORS.length]!.line}">${escapeHtml(r.runId)}</th>`).join("");
  const statsBody = data.runs[0]!.stats.map(
    ([label], k) => `<tr><td>${escapeHtml(label)}</td>${data.runs.map((r) => `<td>${escapeHtml(r.stats[k]![1])}</td>`).join("")}</tr>`,
  ).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tickflow report: ${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #131722; background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
  .sub { color: #555; margin-bottom: 16px; }
  .chart { width: 100%; height: 260px; border: 1px solid #e0e3eb; }
  .chart.small { height: 170px; } .chart.price { height: 380px; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; } td:first-child, th:first-child { text-align: left; }
  .trades { max-height: 420px; overflow: auto; display: inline-block; border: 1px solid #e0e3eb; }
  .trades th { position: sticky; top: 0; background: #f8f9fd; }
  .win { color: #089981; } .loss { color: #f23645; }
  .legend span { margin-right: 16px; }
  .banner { background: #f23645; color: #fff; padding: 8px 12px; margin: 8px 0; font-weight: 600; border-radius: 4px; }
  pre.params { background: #f8f9fd; border: 1px solid #e0e3eb; padding: 8px; max-height: 300px; overflow: auto; }
</style>
</head>
<body>
<h1>Backtest report: ${escapeHtml(title)}</h1>
<div class="sub">${runs.map((r) => `run <b>${escapeHtml(r.runId)}</b> (pipeline ${escapeHtml(r.pipeline)}, ${escapeHtml(r.mode)}, ${r.record.equity.length} equity snapshots, ${r.record.fills.length} fills)`).join(" · ")}</div>
${data.runs
  .flatMap((r) =>
    r.flags.map(
      ([k, v]) =>
        `<div class="banner" data-flag="${escapeHtml(k)}">${runs.length > 1 ? `${escapeHtml(r.runId)}: ` : ""}${escapeHtml(k)}: ${escapeHtml(v)}</div>`,
    ),
  )
  .join("\n")}
<div class="legend">${runs.map((r, i) => `<span style="color:${COLORS[i % COLORS.length]!.line}">━ ${escapeHtml(r.runId)}</span>`).join("")}</div>
<h2>Statistics (${escapeHtml(data.runs.map((r) => r.convention).join(" / "))} convention, formulas: docs/statistics.md)</h2>
<table id="stats"><thead><tr><th>statistic</th>${statsHead}</tr></thead><tbody>
${statsBody}
</tbody></table>
<h2>Equity (dashed: buy and hold of the traded symbols, equal weight)</h2><div id="equity" class="chart"></div>
<h2>Drawdown (% below the running peak)</h2><div id="drawdown" class="chart small"></div>
<h2>Positions (units)</h2><div id="positions" class="chart small"></div>
<h2>Price and trades <select id="symbol"></select></h2><div id="price" class="chart price"></div>
<h2>Parameters</h2>
${data.runs.map((r) => `<h3>${escapeHtml(r.runId)}</h3><pre class="params">${escapeHtml(r.parameters)}</pre>`).join("\n")}
<h2>Trades (round trips)</h2>
<div id="tradeLists"></div>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${bundle.replace(/<\/script/gi, "<\\/script")}</script>
<script>
(function () {
  var LC = window.LightweightCharts;
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var base = { layout: { background: { color: "#ffffff" }, textColor: "#131722", attributionLogo: false }, grid: { vertLines: { color: "#f0f3fa" }, horzLines: { color: "#f0f3fa" } }, timeScale: { timeVisible: false, borderColor: "#d1d4dc", minBarSpacing: 0.01 }, rightPriceScale: { borderColor: "#d1d4dc" }, autoSize: true };
  function pts(a) { return a.map(function (p) { return { time: p[0], value: p[1] }; }); }
  var charts = [];
  function chart(id) { var c = LC.createChart(document.getElementById(id), base); charts.push(c); return c; }
  var eq = chart("equity"), dd = chart("drawdown"), pos = chart("positions");
  data.runs.forEach(function (r) {
    eq.addSeries(LC.LineSeries, { color: r.color, lineWidth: 2, title: r.runId }).setData(pts(r.equity));
    if (r.buyAndHold.length) eq.addSeries(LC.LineSeries, { color: "#787b86", lineWidth: 1, lineStyle: 2, title: "buy and hold" }).setData(pts(r.buyAndHold));
    dd.addSeries(LC.AreaSeries, { lineColor: r.color, topColor: "rgba(242,54,69,0.05)", bottomColor: "rgba(242,54,69,0.35)", invertFilledArea: true, lineWidth: 1 }).setData(pts(r.drawdown));
    Object.keys(r.positions).forEach(function (sym) {
      pos.addSeries(LC.LineSeries, { color: r.color, lineWidth: 1, lineType: 1, title: sym }).setData(pts(r.positions[sym]));
    });
  });
  var price = chart("price");
  // Prices are never negative: clamp the autoscaled range at 0.
  var clampAtZero = function (original) { var r = original(); if (r && r.priceRange && r.priceRange.minValue < 0) r.priceRange.minValue = 0; return r; };
  var candles = price.addSeries(LC.CandlestickSeries, { autoscaleInfoProvider: clampAtZero, upColor: "#26a69a", downColor: "#ef5350", borderVisible: false, wickUpColor: "#26a69a", wickDownColor: "#ef5350" });
  var markerApi = LC.createSeriesMarkers(candles, []);
  var select = document.getElementById("symbol");
  Object.keys(data.candles).forEach(function (sym) { var o = document.createElement("option"); o.value = sym; o.textContent = sym; select.appendChild(o); });
  function showSymbol(sym) {
    candles.setData((data.candles[sym] || []).map(function (b) { return { time: b[0], open: b[1], high: b[2], low: b[3], close: b[4] }; }));
    var ms = [];
    data.runs.forEach(function (r) { (r.markers[sym] || []).forEach(function (m) { ms.push(m); }); });
    ms.sort(function (a, b) { return a.time - b.time; });
    markerApi.setMarkers(ms);
    price.timeScale().fitContent();
  }
  select.addEventListener("change", function () { showSymbol(select.value); });
  if (select.options.length) showSymbol(select.options[0].value);
  // autoSize lays the charts out on the next frame; fit the whole run once the widths are known.
  function fitAll() { charts.forEach(function (c) { c.timeScale().fitContent(); }); }
  fitAll();
  var lists = document.getElementById("tradeLists");
  data.runs.forEach(function (r) {
    var h = document.createElement("h3"); h.textContent = r.runId + ": " + r.trades.length + " trades"; h.style.color = r.color; lists.appendChild(h);
    var wrap = document.createElement("div"); wrap.className = "trades";
    var t = document.createElement("table");
    t.innerHTML = "<thead><tr><th>#</th><th>symbol</th><th>side</th><th>qty</th><th>entry</th><th>entry price</th><th>exit</th><th>exit price</th><th>commission</th><th>P&amp;L</th><th>return</th></tr></thead>";
    var tb = document.createElement("tbody");
    r.trades.forEach(function (x, i) {
      var tr = document.createElement("tr");
      var cells = [i + 1, x[0], x[1], x[2], x[3], x[4].toFixed(4), x[5], x[6].toFixed(4), x[7].toFixed(2), x[8].toFixed(2), (x[9] * 100).toFixed(2) + " %"];
      cells.forEach(function (v, k) { var td = document.createElement("td"); td.textContent = String(v); if (k >= 9) td.className = x[8] > 0 ? "win" : "loss"; tr.appendChild(td); });
      tb.appendChild(tr);
    });
    t.appendChild(tb); wrap.appendChild(t); lists.appendChild(wrap);
  });
  requestAnimationFrame(function () { requestAnimationFrame(function () { fitAll(); document.body.setAttribute("data-rendered", "true"); }); });
})();
</script>
</body>
</html>
`;
}
