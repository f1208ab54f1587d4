// tickflow dashboard: loads the state from the JSON API, then follows /events (Server-Sent Events); the graph is
// polled (its rates are measured by the server). Plain browser script, no build step; LightweightCharts is the
// standalone build served at /vendor/lightweight-charts.js.

(() => {
  const LC = LightweightCharts;
  const MAX_POINTS = 2000;
  const MAX_MARKERS = 300;
  const MAX_ROWS = 50;
  const COLORS = ["#f5a623", "#b388ff", "#4dd0e1", "#ff8a65", "#aed581", "#f06292", "#90a4ae", "#fff176"];
  const $ = (id) => document.getElementById(id);
  /** Text for innerHTML: feature names come from operators (user-written ones too), never trusted as markup. */
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  /** `f` at most once per `ms`, however often the returned function is called (bursts of events redraw once). */
  const throttled = (f, ms) => {
    let timer;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        f();
      }, ms);
    };
  };
  const get = (u) => fetch(u).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${u}: HTTP ${r.status}`))));
  const nsToMs = (ns) => Number(String(ns).slice(0, -6) || "0");
  const fmtTime = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  const fmtNum = (x, d = 2) =>
    typeof x === "number" && Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "—";
  /** Event-time lag behind the wall clock: seconds when small, then minutes, hours, days (a replayed history lags by years). */
  const fmtLag = (s) =>
    s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(0)} days`;
  const fmtPct = (x) => (typeof x === "number" && Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : "—");
  const chartOptions = {
    autoSize: true,
    layout: { background: { color: "#171d24" }, textColor: "#d8dee6", panes: { separatorColor: "#2b3440" } },
    grid: { vertLines: { color: "#222b35" }, horzLines: { color: "#222b35" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  };

  // ---- per-symbol chart data, kept in the page --------------------------------------------------------------
  const symbols = new Map(); // symbol -> { candles: [], overlays: Map(name -> { pane, points }), markers: [], closes: [] }
  let selected;

  function sym(symbol) {
    let s = symbols.get(symbol);
    if (!s) {
      s = { candles: [], overlays: new Map(), markers: [], closes: [] };
      symbols.set(symbol, s);
      const b = document.createElement("button");
      b.textContent = symbol;
      b.dataset.symbol = symbol;
      b.addEventListener("click", () => select(symbol));
      $("symbols").appendChild(b);
      if (selected === undefined) select(symbol);
    }
    return s;
  }

  /** Appends or replaces the point at `p.time`; false when it is older than the newest (the chart needs ascending time). */
  function upsert(arr, p) {
    const last = arr[arr.length - 1];
    if (last && p.time < last.time) return false;
    if (last && p.time === last.time) arr[arr.length - 1] = p;
    else arr.push(p);
    if (arr.length > MAX_POINTS) arr.splice(0, arr.length - MAX_POINTS);
    return true;
  }

  const chart = LC.createChart($("chart"), chartOptions);
  const candleSeries = chart.addSeries(LC.CandlestickSeries, {
    upColor: "#26a69a",
    downColor: "#ef5350",
    borderVisible: false,
    wickUpColor: "#26a69a",
    wickDownColor: "#ef5350",
  });
  const closeSeries = chart.addSeries(LC.LineSeries, { color: "#4aa3ff", lineWidth: 2, visible: false });
  const volumeSeries = chart.addSeries(LC.HistogramSeries, {
    priceScaleId: "volume",
    priceFormat: { type: "volume" },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  const markerLayer = LC.createSeriesMarkers(candleSeries, []);
  const closeMarkers = LC.createSeriesMarkers(closeSeries, []);
  let overlaySeries = new Map(); // name -> series, for the selected symbol

  const volumeBar = (c) => ({ time: c.time, value: c.volume, color: c.close >= c.open ? "rgba(38,166,154,0.45)" : "rgba(239,83,80,0.45)" });
  const markerOf = (m) =>
    m.kind === "fill"
      ? {
          time: m.time,
          position: typeof m.price === "number" ? "atPriceMiddle" : m.side === "buy" ? "belowBar" : "aboveBar",
          price: m.price,
          color: m.side === "buy" ? "#00e5ff" : "#ff9100",
          shape: "square",
          text: m.text,
        }
      : m.side === "buy"
        ? { time: m.time, position: "belowBar", color: "#26a69a", shape: "arrowUp", text: "BUY" }
        : m.side === "sell"
          ? { time: m.time, position: "aboveBar", color: "#ef5350", shape: "arrowDown", text: "SELL" }
          : { time: m.time, position: "inBar", color: "#9aa4ad", shape: "circle", text: "FLAT" };

  function drawMarkers(s) {
    const sorted = [...s.markers].sort((a, b) => a.time - b.time).map(markerOf);
    // Markers sit on the candles, or on the close line when the symbol has no candles.
    markerLayer.setMarkers(s.candles.length ? sorted : []);
    closeMarkers.setMarkers(s.candles.length ? [] : sorted);
  }

  function select(symbol) {
    selected = symbol;
    for (const b of $("symbols").children) b.classList.toggle("active", b.dataset.symbol === symbol);
    const s = symbols.get(symbol);
    candleSeries.setData(s.candles);
    volumeSeries.setData(s.candles.map(volumeBar));
    // Without candles (a pipeline that charts only signal closes) the close line stands in.
    closeSeries.applyOptions({ visible: s.candles.length === 0 });
    closeSeries.setData(s.candles.length ? [] : s.closes);
    for (const series of overlaySeries.values()) chart.removeSeries(series);
    overlaySeries = new Map();
    for (const [name, o] of s.overlays) addOverlaySeries(name, o).setData(o.points);
    drawMarkers(s);
    drawLegend();
    chart.timeScale().fitContent();
  }

  function addOverlaySeries(name, o) {
    const color = COLORS[overlaySeries.size % COLORS.length];
    const series = chart.addSeries(
      LC.LineSeries,
      { color, lineWidth: 1, title: name, priceLineVisible: false, lastValueVisible: o.pane === "lower" },
      o.pane === "lower" ? 1 : 0,
    );
    overlaySeries.set(name, series);
    if (o.pane === "lower") chart.panes()[1]?.setStretchFactor(0.35);
    return series;
  }

  function drawLegend() {
    const s = symbols.get(selected);
    const parts = [];
    if (s) {
      const c = s.candles[s.candles.length - 1];
      if (c)
        parts.push(
          `<span data-testid="candle-count">${s.candles.length}</span> candles · last O ${fmtNum(c.open)} H ${fmtNum(c.high)} L ${fmtNum(c.low)} C ${fmtNum(c.close)} V ${fmtNum(c.volume, 0)}`,
        );
      for (const [name, series] of overlaySeries) {
        const o = s.overlays.get(name);
        const last = o.points[o.points.length - 1];
        parts.push(
          `<span style="color:${esc(series.options().color)}">${esc(name)}${o.pane === "lower" ? " (lower pane)" : ""} ${last ? fmtNum(last.value) : ""}</span>`,
        );
      }
    }
    $("legend").innerHTML = parts.join(" · ");
  }

  function addCandle(symbol, c) {
    $("chart-empty").hidden = true;
    const s = sym(symbol);
    const hadNone = s.candles.length === 0;
    if (!upsert(s.candles, c)) return;
    if (symbol !== selected) return;
    if (hadNone) return select(symbol); // the close line gives way to candles
    candleSeries.update(c);
    volumeSeries.update(volumeBar(c));
    scheduleLegend();
  }

  function addClose(p) {
    $("chart-empty").hidden = true;
    const s = sym(p.symbol);
    const point = { time: Math.floor(p.timeMs / 1000), value: p.close };
    if (!upsert(s.closes, point)) return;
    if (p.symbol === selected && s.candles.length === 0) closeSeries.update(point);
  }

  function addOverlay(e) {
    const s = sym(e.symbol);
    let o = s.overlays.get(e.name);
    if (!o) s.overlays.set(e.name, (o = { pane: e.pane, points: [] }));
    if (!upsert(o.points, e.point) || e.symbol !== selected) return;
    const series = overlaySeries.get(e.name) ?? addOverlaySeries(e.name, o);
    if (o.points.length === 1) series.setData(o.points);
    else series.update(e.point);
    scheduleLegend();
  }

  const scheduleMarkers = throttled(() => drawMarkers(symbols.get(selected)), 200);
  const markerKey = (m) => `${m.time}|${m.kind}|${m.side}|${m.text}`;
  function addMarker(symbol, m) {
    const s = sym(symbol);
    const key = markerKey(m);
    if (s.markers.some((x) => markerKey(x) === key)) return; // an event the snapshot already held
    s.markers.push(m);
    if (s.markers.length > MAX_MARKERS) s.markers.splice(0, s.markers.length - MAX_MARKERS);
    if (symbol === selected) scheduleMarkers();
  }

  const scheduleLegend = throttled(() => drawLegend(), 250);

  // ---- trading state ------------------------------------------------------------------------------------------
  const accounts = new Map(); // account -> { latest, series: [{time, equity, drawdown}], peak, maxDrawdown }
  const positions = new Map(); // account\0symbol -> position json
  const openOrders = new Map(); // id -> order json
  const fills = []; // newest last
  const rejections = [];
  const killSwitch = new Map(); // account -> state
  let account;
  let equityChart, equitySeries, drawdownSeries;

  function ensureEquityChart() {
    if (equityChart) return;
    $("trading").hidden = false;
    equityChart = LC.createChart($("equity-chart"), chartOptions);
    equitySeries = equityChart.addSeries(LC.LineSeries, { color: "#4aa3ff", lineWidth: 2, title: "equity" });
    drawdownSeries = equityChart.addSeries(
      LC.AreaSeries,
      { lineColor: "#ef5350", topColor: "rgba(239,83,80,0.05)", bottomColor: "rgba(239,83,80,0.4)", title: "drawdown %", priceFormat: { type: "percent" } },
      1,
    );
    equityChart.panes()[1]?.setStretchFactor(0.4);
  }

  function selectAccount(a) {
    account = a;
    const acc = accounts.get(a);
    ensureEquityChart();
    equitySeries.setData(acc.series.map((p) => ({ time: p.time, value: p.equity })));
    drawdownSeries.setData(acc.series.map((p) => ({ time: p.time, value: p.drawdown * 100 })));
    equityChart.timeScale().fitContent();
    for (const b of $("accounts").children) b.classList.toggle("active", b.textContent === a);
    scheduleTrading();
  }

  function addAccount(a, acc) {
    accounts.set(a, acc);
    const b = document.createElement("button");
    b.textContent = a;
    b.addEventListener("click", () => selectAccount(a));
    $("accounts").appendChild(b);
    if (account === undefined) selectAccount(a);
  }

  function onEquity(e) {
    let acc = accounts.get(e.account);
    if (!acc) addAccount(e.account, (acc = { latest: e.latest, series: [], peak: e.latest.equity, maxDrawdown: 0 }));
    if (!upsert(acc.series, e.point)) return; // older than what the snapshot showed
    acc.latest = e.latest;
    acc.peak = Math.max(acc.peak, e.point.equity);
    acc.maxDrawdown = Math.min(acc.maxDrawdown, e.point.drawdown);
    if (e.account === account) {
      equitySeries.update({ time: e.point.time, value: e.point.equity });
      drawdownSeries.update({ time: e.point.time, value: e.point.drawdown * 100 });
    }
    scheduleTrading();
  }

  function onOrder(e) {
    if (e.open) openOrders.set(e.order.id, e.order);
    else openOrders.delete(e.order.id);
    if (e.order.status === "rejected") {
      rejections.push(e.order);
      if (rejections.length > MAX_ROWS) rejections.shift();
    }
    scheduleTrading();
  }

  function onFill(f) {
    if (fills.some((x) => x.id === f.id)) return;
    fills.push(f);
    if (fills.length > MAX_ROWS * 4) fills.shift();
    ensureEquityChart();
    scheduleTrading();
  }

  const cell = (text, cls) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };
  const row = (cells, attrs = {}) => {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    tr.append(...cells.map(([t, c]) => cell(t, c)));
    return tr;
  };
  const signed = (x) => (x > 0 ? "buy" : x < 0 ? "sell" : "");

  const scheduleTrading = throttled(() => drawTrading(), 200);

  function drawTrading() {
    const acc = accounts.get(account);
    if (acc) {
      const l = acc.latest;
      const last = acc.series[acc.series.length - 1];
      const eq = $("equity-last");
      eq.textContent = fmtNum(l.equity);
      eq.dataset.value = String(l.equity);
      const pnl = l.realizedPnl + l.unrealizedPnl - l.commission;
      $("pnl").textContent = fmtNum(pnl);
      $("pnl").className = `value ${signed(pnl)}`;
      $("pnl").dataset.value = String(pnl);
      $("pnl-realized").textContent = fmtNum(l.realizedPnl);
      $("pnl-unrealized").textContent = fmtNum(l.unrealizedPnl);
      $("drawdown-last").textContent = fmtPct(last ? last.drawdown : 0);
      $("drawdown-last").dataset.value = String(last ? last.drawdown : 0);
      $("drawdown-max").textContent = fmtPct(acc.maxDrawdown);
      $("cash").textContent = fmtNum(l.cash);
      $("exposure").textContent = `${fmtNum(l.grossExposure, 0)} / ${fmtNum(l.netExposure, 0)}`;
    }
    $("positions").replaceChildren(
      ...[...positions.values()]
        .sort((a, b) => (a.account + a.symbol).localeCompare(b.account + b.symbol))
        .map((p) =>
          row(
            [
              [p.account],
              [p.symbol],
              [fmtNum(p.qty, 0), signed(p.qty)],
              [fmtNum(p.avgPrice)],
              [fmtNum(p.markPrice)],
              [fmtNum(p.unrealizedPnl), signed(p.unrealizedPnl)],
              [fmtNum(p.realizedPnl), signed(p.realizedPnl)],
            ],
            { "data-symbol": p.symbol, "data-qty": String(p.qty) },
          ),
        ),
    );
    $("open-orders").replaceChildren(
      ...[...openOrders.values()].map((o) =>
        row(
          [
            [o.id],
            [o.symbol],
            [o.side, o.side],
            [o.orderType ?? ""],
            [fmtNum(o.qty, 0)],
            [fmtNum(o.filledQty, 0)],
            [[o.limitPrice, o.stopPrice].map((x) => (x === undefined ? "—" : fmtNum(x))).join(" / ")],
            [o.status],
          ],
          { "data-order-id": o.id },
        ),
      ),
    );
    $("rejections").replaceChildren(
      ...rejections
        .slice()
        .reverse()
        .map((o) => {
          const li = document.createElement("li");
          li.textContent = `${fmtTime(nsToMs(o.tsEvent))} ${o.symbol} ${o.side} ${o.qty}: ${o.reason ?? "rejected"}`;
          return li;
        }),
    );
    $("fills").replaceChildren(
      ...fills
        .slice(-MAX_ROWS)
        .reverse()
        .map((f) =>
          row([[fmtTime(nsToMs(f.tsEvent))], [f.symbol], [f.side, f.side], [fmtNum(f.qty, 0)], [fmtNum(f.price)], [fmtNum(f.commission)]], {
            "data-fill-id": f.id,
          }),
        ),
    );
    drawRisk();
  }

  function drawRisk() {
    const banner = $("risk-banner");
    const tripped = [...killSwitch.values()].filter((k) => k.tripped);
    const acc = accounts.get(account);
    if (tripped.length) {
      banner.hidden = false;
      banner.className = "banner tripped";
      banner.dataset.state = "tripped";
      banner.textContent = tripped
        .map((k) => `KILL SWITCH TRIPPED on ${k.account} at ${k.at.slice(0, 19)}Z (equity ${fmtNum(k.equity)}): ${k.reason}`)
        .join(" · ");
    } else if (acc || killSwitch.size) {
      banner.hidden = false;
      banner.className = "banner ok";
      banner.dataset.state = "ok";
      const reset = [...killSwitch.values()].map((k) => `kill switch reset on ${k.account} at ${k.at.slice(0, 19)}Z: ${k.reason}`);
      const l = acc?.latest;
      banner.textContent = [
        "risk: kill switch armed, not tripped",
        ...(l ? [`gross exposure ${fmtNum(l.grossExposure, 0)}`, `margin used ${fmtNum(l.marginUsed, 0)}`, `${openOrders.size} open orders`] : []),
        ...reset,
      ].join(" · ");
    }
  }

  // ---- signals, news, dead letters ----------------------------------------------------------------------------
  const signalIds = new Set();
  function addSignal(s) {
    if (signalIds.has(s.id)) return;
    signalIds.add(s.id);
    if (signalIds.size > 1000) signalIds.delete(signalIds.values().next().value);
    const ms = nsToMs(s.tsEvent);
    const body = $("signals");
    body.insertBefore(row([[fmtTime(ms)], [s.symbol], [s.action, s.action], [Number(s.strength).toFixed(2)], [s.reason]]), body.firstChild);
    while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
  }

  const news = new Map(); // id -> news json
  const scheduleNews = throttled(() => drawNews(), 250);
  function addNews(n) {
    news.set(n.id, n);
    if (news.size > 200) news.delete(news.keys().next().value);
    scheduleNews();
  }
  function drawNews() {
    const rows = [...news.values()].sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, MAX_ROWS);
    $("news").replaceChildren(
      ...rows.map((n) => {
        const sentiment = n.scores.length
          ? n.scores.map((s) => `${s.symbol} ${s.label} ${s.score >= 0 ? "+" : ""}${s.score.toFixed(2)}`).join(", ")
          : "not scored";
        const label = n.scores[0]?.label;
        return row(
          [
            [n.at.slice(0, 19).replace("T", " ")],
            [n.symbols.join(" ")],
            [sentiment, label === "positive" ? "buy" : label === "negative" ? "sell" : "flat"],
            [n.headline],
          ],
          {
            "data-testid": "news-row",
            "data-id": n.id,
          },
        );
      }),
    );
  }

  function addDeadLetter(l) {
    const li = document.createElement("li");
    const stage = document.createElement("span");
    stage.className = "stage";
    stage.textContent = l.stage;
    li.append(stage, `${l.ref}: ${l.reason}`);
    const ul = $("dead-letters");
    ul.insertBefore(li, ul.firstChild);
    while (ul.children.length > MAX_ROWS) ul.removeChild(ul.lastChild);
  }

  // ---- pipeline graph -----------------------------------------------------------------------------------------
  let graphBuilt = "";
  function drawGraph(g) {
    const box = $("graph");
    const shape = JSON.stringify([g.nodes.map((n) => n.name), g.edges]);
    if (shape !== graphBuilt) {
      graphBuilt = shape;
      const columns = [];
      for (const n of g.nodes) (columns[n.column] ??= []).push(n);
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.classList.add("edges");
      box.replaceChildren(svg);
      for (const col of columns) {
        const div = document.createElement("div");
        div.className = "column";
        for (const n of col ?? []) {
          const el = document.createElement("div");
          el.className = `node ${n.role}${n.output ? " output" : ""}`;
          el.dataset.testid = `node-${n.name}`;
          el.dataset.node = n.name;
          el.innerHTML = `<div class="name"></div><div class="op muted"></div><div class="stats"><span class="items"></span> · <span class="rate"></span></div><div class="dead-count"></div>`;
          el.querySelector(".name").textContent = n.name;
          el.querySelector(".op").textContent = [n.op, n.kind].filter(Boolean).join(" → ");
          div.appendChild(el);
        }
        box.appendChild(div);
      }
      requestAnimationFrame(() => drawEdges(g));
    }
    for (const n of g.nodes) {
      const el = box.querySelector(`[data-node="${CSS.escape(n.name)}"]`);
      if (!el) continue;
      const count = g.counts[n.name];
      el.querySelector(".items").textContent = count === undefined ? "not counted" : `${count.toLocaleString()} items`;
      el.querySelector(".items").dataset.value = count === undefined ? "" : String(count);
      el.querySelector(".rate").textContent = count === undefined ? "" : `${(g.rates[n.name] ?? 0).toFixed(1)}/s`;
      const dead = g.deadLetters[n.name] ?? 0;
      el.querySelector(".dead-count").textContent = dead ? `${dead} dead letters` : "";
      el.classList.toggle("has-dead", dead > 0);
      const model = g.models?.nodes?.[n.name];
      if (g.models?.nodes && n.name in g.models.nodes) el.querySelector(".dead-count").textContent += model ? ` model ${model}` : " no model";
    }
    const other = Object.entries(g.deadLetters).filter(([stage]) => !g.nodes.some((n) => n.name === stage));
    $("graph-lag").textContent = [
      typeof g.lagSeconds === "number" ? `lag ${fmtLag(g.lagSeconds)}` : "",
      other.length ? `dead letters: ${other.map(([s, n]) => `${s} ${n}`).join(", ")}` : "",
    ]
      .filter(Boolean)
      .join(" · ");
  }

  function drawEdges(g) {
    const box = $("graph");
    const svg = box.querySelector("svg.edges");
    const origin = box.getBoundingClientRect();
    svg.setAttribute("width", String(box.scrollWidth));
    svg.setAttribute("height", String(box.scrollHeight));
    const at = (name) => box.querySelector(`[data-node="${CSS.escape(name)}"]`)?.getBoundingClientRect();
    svg.replaceChildren(
      ...g.edges.flatMap((e) => {
        const a = at(e.from);
        const b = at(e.to);
        if (!a || !b) return [];
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        const x1 = a.right - origin.left;
        const y1 = a.top + a.height / 2 - origin.top;
        const x2 = b.left - origin.left;
        const y2 = b.top + b.height / 2 - origin.top;
        path.setAttribute("d", `M${x1},${y1} C${x1 + 30},${y1} ${x2 - 30},${y2} ${x2},${y2}`);
        return [path];
      }),
    );
  }

  // ---- status -------------------------------------------------------------------------------------------------
  function showStatus(st) {
    $("pipeline").textContent = `pipeline ${st.pipeline}`;
    $("run").textContent = `run ${st.runId}${st.recorded ? " (recorded)" : ""}`;
    const state = $("state");
    state.textContent = st.state;
    state.className = `pill state ${st.state}`;
    $("watermark").textContent = st.watermark ? `watermark ${st.watermark.iso.slice(0, 19)}Z` : "watermark —";
    $("lag").textContent = typeof st.lagSeconds === "number" ? `lag ${fmtLag(st.lagSeconds)}` : "";
    const m = st.models;
    const pill = $("models");
    if (m?.nodes) {
      pill.hidden = false;
      const parts = Object.entries(m.nodes).map(([node, id]) => {
        const rows = m.rows?.[node];
        const health = rows ? ` (${rows.scored} scored, ${rows.noModel} without model, ${rows.nonFinite} non-finite)` : "";
        return `${node}: ${id ?? "no model"}${health}`;
      });
      pill.textContent = `model ${parts.join("; ")}${m.lastProblem ? ` · last problem (rev ${m.lastProblem.revision}): ${m.lastProblem.reason}` : ""}`;
      pill.className = `pill ${Object.values(m.nodes).every((id) => id) && !m.lastProblem ? "healthy" : "unhealthy"}`;
    }
    const c = st.counters;
    if (!c) return;
    $("c-inputs").textContent = c.inputs.toLocaleString();
    $("c-batches").textContent = c.batches === null || c.batches === undefined ? "—" : c.batches.toLocaleString();
    $("c-dead").textContent = c.deadLetters.toLocaleString();
    $("c-late").textContent = c.late.toLocaleString();
    $("c-outputs").replaceChildren(
      ...Object.entries(c.outputs).map(([node, n]) => {
        const span = document.createElement("span");
        span.className = "counter";
        span.innerHTML = `<span class="label"></span><span class="value"></span>`;
        span.firstChild.textContent = `outputs · ${node}`;
        span.lastChild.textContent = n.toLocaleString();
        return span;
      }),
    );
  }

  async function load() {
    // The stream opens before the snapshot is read and its events wait until the snapshot is drawn, so nothing
    // emitted in between is lost; what both carry is applied once (same time, same id).
    const events = new EventSource("/events");
    let queue = [];
    const on = (name, f) =>
      events.addEventListener(name, (e) => {
        const data = JSON.parse(e.data);
        if (queue) queue.push(() => f(data));
        else f(data);
      });
    on("status", showStatus);
    on("price", addClose);
    on("candle", (e) => addCandle(e.symbol, e.candle));
    on("overlay", addOverlay);
    on("marker", (e) => addMarker(e.symbol, e.marker));
    on("signal", addSignal);
    on("news", (e) => addNews(e.news));
    on("deadLetter", addDeadLetter);
    on("equity", onEquity);
    on("position", (e) => {
      positions.set(`${e.position.account}\0${e.position.symbol}`, e.position);
      scheduleTrading();
    });
    on("order", onOrder);
    on("fill", (e) => onFill(e.fill));
    on("killSwitch", (e) => {
      killSwitch.set(e.state.account, e.state);
      scheduleTrading();
    });
    const [status, p, candles, trading, s, newsJson, d, graph] = await Promise.all([
      get("/api/status"),
      get("/api/prices"),
      get("/api/candles"),
      get("/api/trading"),
      get("/api/signals?limit=200"),
      get("/api/news"),
      get("/api/dead-letters"),
      get("/api/graph"),
    ]);
    showStatus(status);
    for (const [symbol, c] of Object.entries(candles.symbols)) {
      const st = sym(symbol);
      st.candles = c.candles.slice(-MAX_POINTS);
      for (const [name, o] of Object.entries(c.overlays)) st.overlays.set(name, { pane: o.pane, points: o.points.slice(-MAX_POINTS) });
      st.markers = c.markers.slice(-MAX_MARKERS);
      if (st.candles.length) $("chart-empty").hidden = true;
    }
    for (const pts of Object.values(p.prices)) for (const pt of pts) addClose(pt);
    for (const a of trading.accounts) addAccount(a.account, { latest: a.latest, series: a.series, peak: a.peak, maxDrawdown: a.maxDrawdown });
    for (const pos of trading.positions) positions.set(`${pos.account}\0${pos.symbol}`, pos);
    for (const o of trading.openOrders) openOrders.set(o.id, o);
    fills.push(...trading.fills);
    rejections.push(...trading.rejections);
    for (const k of trading.killSwitch) killSwitch.set(k.account, k);
    if (trading.fills.length || trading.positions.length) ensureEquityChart();
    for (const sig of s.signals) addSignal(sig);
    for (const n of newsJson.news) addNews(n);
    for (const l of d.deadLetters) addDeadLetter(l);
    drawGraph(graph);
    if (selected !== undefined) select(selected);
    if (account !== undefined) selectAccount(account);
    drawTrading();
    drawNews();

    for (const f of queue) f();
    queue = undefined;
    events.addEventListener("error", () => {
      if (status.recorded) return events.close(); // a recorded run does not change
      $("state").textContent = "disconnected";
      $("state").className = "pill state disconnected";
    });
    setInterval(() => get("/api/graph").then(drawGraph, () => undefined), 2000);
    window.addEventListener("resize", () => graphBuilt && get("/api/graph").then(drawEdges, () => undefined));
    window.tickflowDashboard = {
      ready: true,
      symbols: () => [...symbols.keys()],
      points: (s) => {
        const x = symbols.get(s);
        return x ? Math.max(x.candles.length, x.closes.length) : 0;
      },
      candles: (s) => symbols.get(s)?.candles.length ?? 0,
      overlays: (s) => [...(symbols.get(s)?.overlays.keys() ?? [])],
      markers: (s) => symbols.get(s)?.markers.length ?? 0,
      equity: () => accounts.get(account)?.latest.equity,
      selected: () => selected,
    };
  }

  load().catch((e) => {
    $("state").textContent = `error: ${e.message}`;
    $("state").className = "pill state failed";
  });
})();
