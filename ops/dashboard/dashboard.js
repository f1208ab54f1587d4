// tickflow live dashboard: loads the recent state from the JSON API, then follows /events (Server-Sent Events).
// Plain browser script; LightweightCharts is the standalone build served at /vendor/lightweight-charts.js.

(() => {
  const MAX_POINTS = 2000;
  const MAX_MARKERS = 300;
  const MAX_ROWS = 50;
  const prices = new Map(); // symbol -> [{ time, value }] ascending, time in seconds
  const markers = new Map(); // symbol -> [{ time, position, color, shape, text }]
  let selected;
  const $ = (id) => document.getElementById(id);

  const chart = LightweightCharts.createChart($("chart"), {
    autoSize: true,
    layout: { background: { color: "#171d24" }, textColor: "#d8dee6" },
    grid: { vertLines: { color: "#222b35" }, horzLines: { color: "#222b35" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const series = chart.addSeries(LightweightCharts.LineSeries, { color: "#4aa3ff", lineWidth: 2 });
  const markerLayer = LightweightCharts.createSeriesMarkers(series, []);

  const nsToMs = (ns) => Number(String(ns).slice(0, -6) || "0");
  const fmtTime = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

  function select(symbol) {
    selected = symbol;
    for (const b of $("symbols").children) b.classList.toggle("active", b.textContent === symbol);
    series.setData(prices.get(symbol) || []);
    markerLayer.setMarkers(markers.get(symbol) || []);
    chart.timeScale().fitContent();
  }

  function ensureSymbol(symbol) {
    if (prices.has(symbol)) return;
    prices.set(symbol, []);
    const b = document.createElement("button");
    b.textContent = symbol;
    b.addEventListener("click", () => select(symbol));
    $("symbols").appendChild(b);
    if (selected === undefined) select(symbol);
  }

  function addPrice(p) {
    ensureSymbol(p.symbol);
    $("chart-empty").hidden = true;
    const arr = prices.get(p.symbol);
    const point = { time: Math.floor(p.timeMs / 1000), value: p.close };
    const last = arr[arr.length - 1];
    if (last && point.time < last.time) return; // the chart needs ascending time; a late point is dropped here
    if (last && point.time === last.time) arr[arr.length - 1] = point;
    else arr.push(point);
    if (arr.length > MAX_POINTS) arr.splice(0, arr.length - MAX_POINTS);
    if (p.symbol === selected) series.update(point);
  }

  function addSignal(s, live) {
    const ms = nsToMs(s.tsEvent);
    const tr = document.createElement("tr");
    for (const [text, cls] of [
      [fmtTime(ms), ""],
      [s.symbol, ""],
      [s.action, s.action],
      [Number(s.strength).toFixed(2), ""],
      [s.reason, ""],
    ]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    const body = $("signals");
    body.insertBefore(tr, body.firstChild);
    while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
    if (typeof s.inputs?.close === "number") addPrice({ symbol: s.symbol, timeMs: ms, close: s.inputs.close });
    ensureSymbol(s.symbol);
    const list = markers.get(s.symbol) || [];
    const m =
      s.action === "buy"
        ? { position: "belowBar", color: "#26a69a", shape: "arrowUp", text: "BUY" }
        : s.action === "sell"
          ? { position: "aboveBar", color: "#ef5350", shape: "arrowDown", text: "SELL" }
          : { position: "inBar", color: "#9aa4ad", shape: "circle", text: "FLAT" };
    list.push({ time: Math.floor(ms / 1000), ...m });
    list.sort((a, b) => a.time - b.time);
    if (list.length > MAX_MARKERS) list.splice(0, list.length - MAX_MARKERS);
    markers.set(s.symbol, list);
    if (live && s.symbol === selected) markerLayer.setMarkers(list);
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

  function showStatus(st) {
    $("pipeline").textContent = `pipeline ${st.pipeline}`;
    $("run").textContent = `run ${st.runId}`;
    const state = $("state");
    state.textContent = st.state;
    state.className = `pill state ${st.state}`;
    $("watermark").textContent = st.watermark ? `watermark ${st.watermark.iso.slice(0, 19)}Z (lag ${Number(st.lagSeconds).toFixed(1)} s)` : "watermark —";
    const c = st.counters;
    if (!c) return;
    $("c-inputs").textContent = c.inputs.toLocaleString();
    $("c-batches").textContent = c.batches.toLocaleString();
    $("c-dead").textContent = c.deadLetters.toLocaleString();
    $("c-late").textContent = c.late.toLocaleString();
    const outs = $("c-outputs");
    outs.replaceChildren(
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
    const get = (u) => fetch(u).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${u}: HTTP ${r.status}`))));
    const [status, p, s, d] = await Promise.all([get("/api/status"), get("/api/prices"), get("/api/signals?limit=200"), get("/api/dead-letters")]);
    showStatus(status);
    for (const pts of Object.values(p.prices)) for (const pt of pts) addPrice(pt);
    for (const sig of s.signals) addSignal(sig, false);
    for (const l of d.deadLetters) addDeadLetter(l);
    if (selected !== undefined) select(selected);
    const events = new EventSource("/events");
    events.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    events.addEventListener("price", (e) => addPrice(JSON.parse(e.data)));
    events.addEventListener("signal", (e) => addSignal(JSON.parse(e.data), true));
    events.addEventListener("deadLetter", (e) => addDeadLetter(JSON.parse(e.data)));
    events.addEventListener("error", () => {
      $("state").textContent = "disconnected";
      $("state").className = "pill state disconnected";
    });
    window.tickflowDashboard = { ready: true, symbols: () => [...prices.keys()], points: (sym) => (prices.get(sym) || []).length };
  }

  load().catch((e) => {
    $("state").textContent = `error: ${e.message}`;
    $("state").className = "pill state failed";
  });
})();
