// The optimiser's HTML report, self-contained and offline (the lightweight-charts bundle inlined, as replay/reportHtml.ts
// does): a heatmap of the rank statistic over two parameters, the ranked table, the walk-forward out-of-sample
// equity against buy and hold, PBO and DSR. Pure: same result, same bytes.
import { chartsBundle, escapeHtml, scriptJson } from "../reportHtml.ts";
import type { OptimizeResult } from "./optimize.ts";
import { dsrVerdict, pboVerdict } from "./overfitting.ts";
import { score } from "./walkForward.ts";

const sec = (ns: bigint): number => Number(ns / 1_000_000_000n);
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The heatmap: the rank statistic over parameters x and y, the other parameters at the best variant's values. */
export function heatmapData(r: OptimizeResult, axes?: readonly string[]) {
  const pick = (s: string | undefined, fallback: number): number => {
    if (s === undefined) return fallback;
    const m = /^p(\d+)$/.exec(s);
    const i = m ? Number(m[1]) - 1 : r.params.findIndex((p) => p.path === s);
    if (i < 0 || i >= r.params.length) throw new Error(`--heatmap ${s}: not a swept parameter (${r.params.map((p) => p.path).join(", ")})`);
    return i;
  };
  const x = pick(axes?.[0], 0);
  const y = pick(axes?.[1], Math.min(1, r.params.length - 1));
  const best = r.variants[r.best]!;
  const xs = r.params[x]!.values;
  const ys = y === x ? [best[y]!] : r.params[y]!.values;
  const cells: (number | null)[][] = ys.map(() => xs.map(() => null));
  r.variants.forEach((v, i) => {
    if (!v.every((val, k) => k === x || k === y || val === best[k])) return;
    const cx = xs.indexOf(v[x]!);
    const cy = ys.indexOf(v[y]!);
    if (cx >= 0 && cy >= 0) cells[cy]![cx] = finite(r.runs[i]!.stats[r.rank]);
  });
  return { x: r.params[x]!.path, y: y === x ? "" : r.params[y]!.path, xs, ys, cells, lowerIsBetter: score(r.rank, 1) < 0 };
}

export function renderOptimizeHtml(r: OptimizeResult, o: { heatmap?: readonly string[]; pipeline: string; top?: number }, bundle = chartsBundle()): string {
  const top = r.ranking.slice(0, o.top ?? 20);
  const wf = r.walkForward;
  const start = wf ? wf.ts[0]! : r.ts[0]!;
  const i0 = r.ts.findIndex((t) => t >= start);
  const bh = r.buyAndHold;
  const data = {
    heatmap: heatmapData(r, o.heatmap),
    oos: wf ? Array.from(wf.ts, (t, i) => [sec(t), wf.equity[i]!]) : [],
    // Buy and hold over the same span, rebased to the OOS start.
    buyAndHold: Array.from(r.ts.slice(i0), (t, k) => [sec(t), (bh[i0 + k]! / bh[i0]!) * (wf ? wf.equity[0]! : r.runs[0]!.stats.startEquity)]),
    best: Array.from(r.ts.slice(i0), (t, k) => [
      sec(t),
      (r.equity[r.best]![i0 + k]! / r.equity[r.best]![i0]!) * (wf ? wf.equity[0]! : r.runs[0]!.stats.startEquity),
    ]),
  };
  const rows = top
    .map((i, k) => {
      const s = r.runs[i]!.stats;
      const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
      return `<tr><td>${k + 1}</td>${r.variants[i]!.map((v) => `<td>${escapeHtml(String(v))}</td>`).join("")}<td>${f(s[r.rank])}</td><td>${f(s.totalReturn * 100, 2)} %</td><td>${f(s.maxDrawdown * 100, 2)} %</td><td>${s.trades}</td></tr>`;
    })
    .join("\n");
  const folds = wf
    ? wf.folds
        .map(
          (f) =>
            `<tr><td>${f.fold}</td><td>${escapeHtml(r.labels[f.chosen]!)}</td><td>${Number.isFinite(f.inSample) ? f.inSample.toFixed(3) : f.inSample}</td><td>${Number.isFinite(f.outOfSample) ? f.outOfSample.toFixed(3) : f.outOfSample}</td><td>${(f.oosReturn * 100).toFixed(2)} %</td></tr>`,
        )
        .join("\n")
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tickflow optimize: ${escapeHtml(o.pipeline)}</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #131722; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
  .chart { width: 100%; height: 300px; border: 1px solid #e0e3eb; }
  .verdict { font-weight: 600; } .legend span { margin-right: 16px; }
</style>
</head>
<body>
<h1>Parameter optimisation: ${escapeHtml(o.pipeline)}</h1>
<div>${r.runs.length} variants ranked by ${escapeHtml(r.rank)}; best: <b>${escapeHtml(r.labels[r.best]!)}</b></div>
<h2>Overfitting</h2>
<p class="verdict" id="pbo">${escapeHtml(pboVerdict(r.pbo.pbo))} (CSCV, ${r.pbo.blocks} blocks, ${r.pbo.splits} splits)</p>
<p class="verdict" id="dsr">${escapeHtml(dsrVerdict(r.dsr))} (per-period Sharpe ${r.dsr.sharpe.toFixed(4)}, expected max of ${r.dsr.trials} trials ${r.dsr.sharpe0.toFixed(4)})</p>
<h2>Heatmap of ${escapeHtml(r.rank)}: ${escapeHtml(data.heatmap.x)} × ${escapeHtml(data.heatmap.y || "(one parameter)")}</h2>
<canvas id="heatmap" width="720" height="420"></canvas>
<h2>Walk-forward out-of-sample equity${wf ? ` (${wf.folds.length} folds, total ${(wf.totalReturn * 100).toFixed(2)} %)` : " (no --walk-forward: the best variant)"}</h2>
<div class="legend"><span style="color:#2962ff">━ ${wf ? "walk-forward OOS" : "best variant"}</span><span style="color:#787b86">━ buy and hold</span>${wf ? '<span style="color:#ff9800">━ best variant (in-sample on the whole span)</span>' : ""}</div>
<div id="oos" class="chart"></div>
${wf ? `<h2>Folds</h2><table id="folds"><thead><tr><th>fold</th><th>chosen</th><th>IS ${escapeHtml(r.rank)}</th><th>OOS ${escapeHtml(r.rank)}</th><th>OOS return</th></tr></thead><tbody>\n${folds}\n</tbody></table>` : ""}
<h2>Top variants</h2>
<table id="ranking"><thead><tr><th>#</th>${r.params.map((p) => `<th>${escapeHtml(p.path)}</th>`).join("")}<th>${escapeHtml(r.rank)}</th><th>total return</th><th>max DD</th><th>trades</th></tr></thead><tbody>
${rows}
</tbody></table>
<script id="optimize-data" type="application/json">${scriptJson(data)}</script>
<script>${bundle.replace(/<\/script/gi, "<\\/script")}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById("optimize-data").textContent);
  var h = data.heatmap, cv = document.getElementById("heatmap"), g = cv.getContext("2d");
  var vals = [].concat.apply([], h.cells).filter(function (v) { return v !== null; });
  var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
  var left = 90, topM = 20, bottom = 50, W = cv.width - left - 20, H = cv.height - topM - bottom;
  var cw = W / h.xs.length, ch = H / h.ys.length;
  g.font = "12px sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
  h.cells.forEach(function (row, j) {
    row.forEach(function (v, i) {
      var x = left + i * cw, y = topM + (h.ys.length - 1 - j) * ch;
      if (v === null) { g.fillStyle = "#eeeeee"; } else {
        var t = hi > lo ? (v - lo) / (hi - lo) : 0.5; if (h.lowerIsBetter) t = 1 - t;
        g.fillStyle = "rgb(" + Math.round(230 - 200 * t) + "," + Math.round(80 + 120 * t) + "," + Math.round(90 + 40 * t) + ")";
      }
      g.fillRect(x, y, cw - 1, ch - 1);
      if (v !== null && cw > 34 && ch > 14) { g.fillStyle = "#000"; g.fillText(v.toFixed(2), x + cw / 2, y + ch / 2); }
    });
  });
  g.fillStyle = "#131722";
  h.xs.forEach(function (x, i) { g.fillText(String(x), left + (i + 0.5) * cw, topM + H + 14); });
  g.textAlign = "right";
  h.ys.forEach(function (y, j) { g.fillText(String(y), left - 6, topM + (h.ys.length - 1 - j + 0.5) * ch); });
  g.textAlign = "center"; g.fillText(h.x, left + W / 2, topM + H + 36);
  g.save(); g.translate(14, topM + H / 2); g.rotate(-Math.PI / 2); g.fillText(h.y, 0, 0); g.restore();
  var LC = window.LightweightCharts;
  var chart = LC.createChart(document.getElementById("oos"), { layout: { attributionLogo: false }, autoSize: true, timeScale: { minBarSpacing: 0.01 } });
  function pts(a) { return a.map(function (p) { return { time: p[0], value: p[1] }; }); }
  chart.addSeries(LC.LineSeries, { color: "#787b86", lineWidth: 1, title: "buy and hold" }).setData(pts(data.buyAndHold));
  if (data.oos.length) chart.addSeries(LC.LineSeries, { color: "#ff9800", lineWidth: 1, title: "best" }).setData(pts(data.best));
  chart.addSeries(LC.LineSeries, { color: "#2962ff", lineWidth: 2, title: data.oos.length ? "OOS" : "best" }).setData(pts(data.oos.length ? data.oos : data.best));
  chart.timeScale().fitContent();
  requestAnimationFrame(function () { requestAnimationFrame(function () { chart.timeScale().fitContent(); document.body.setAttribute("data-rendered", "true"); }); });
})();
</script>
</body>
</html>
`;
}
