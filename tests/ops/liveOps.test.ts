// The operations layer on a real live run (real nats-server, real DuckDB, LiveOps as `tickflow run` wires it):
// /metrics carries the run's counters, /api/status and /api/signals answer, /events delivers a signal, the
// dashboard page loads lightweight-charts from node_modules, readiness and the audit trail follow the run.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { withBrowser } from "../helpers/browser.ts";
import { withDatabase } from "../helpers/duckdb.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { freePort } from "../../io/nats/natsServer.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { simulate } from "../../sources/simulator.ts";
import { LiveOps } from "../../app/liveOps.ts";
import { readAuditLog, verifyAuditChain } from "../../ops/audit.ts";
import type { Config } from "../../io/config.ts";

const PIPELINE = `
name: ops-test
sources:
  trades: { type: trade }
sequencing: { maxDelay: 0s, idleAfter: 100ms }
nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1m } }
  indicators:
    op: indicators
    in: bars
    params:
      set:
        - { id: emaFast, name: ema, period: 2 }
        - { id: emaSlow, name: ema, period: 3 }
        - { id: rsi, name: rsi, period: 2 }
  signals: { op: momentumRule, in: indicators, params: { overbought: 100, oversold: 0, sentimentGate: 1, emit: every } }
sinks:
  - { type: duckdb, in: indicators }
  - { type: duckdb, in: signals }
  - { type: nats, in: signals }
`;
const START_NS = 1_736_150_400_000_000_000n; // 2025-01-06T08:00Z
const MINUTE = 60_000_000_000n;

function feed(minutes: bigint) {
  const out = [];
  for (const m of simulate({ symbols: ["AAPL", "MSFT"], seed: 7, startNs: START_NS, tradesPerSecond: 0.1, newsEverySeconds: 1e9 })) {
    if (m.msg.tsEvent >= START_NS + minutes * MINUTE) break;
    if (m.kind === "trade") out.push(m);
  }
  return out;
}

/** Reads Server-Sent Events until `until` returns true for one; returns the events seen. */
async function readEvents(url: string, until: (event: string, data: string) => boolean): Promise<{ event: string; data: string }[]> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  const seen: { event: string; data: string }[] = [];
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) {
        seen.push({ event, data });
        if (until(event, data)) {
          ac.abort();
          return seen;
        }
      }
    }
  }
  return seen;
}

describe("ops on a live run", () => {
  test("metrics, status, signals, SSE, dashboard, readiness and audit", async () => {
    const f = await startNats();
    try {
      await withDatabase(async (db, dbPath) => {
        const pipeline = parsePipeline(PIPELINE, "ops-test.yaml");
        const config: Config = { natsUrl: f.url, dbPath, dataDir: tmpdir(), natsUrlFromEnv: true };
        const ops = await LiveOps.start({ nc: f.nc, db, pipeline, runId: "live-ops-1", config, httpPort: await freePort(), jobs: [] });
        const base = ops.url!;
        const live = new LiveRun({ pipeline, nc: f.nc, db, runId: "live-ops-1", metrics: ops.hooks, print: () => undefined });
        ops.attach(live);
        expect((await fetch(`${base}readyz`)).status).toBe(503); // consumers still starting
        await live.start();
        await ops.running();
        const ready = await fetch(`${base}readyz`);
        expect([ready.status, await ready.json()]).toEqual([
          200,
          { ready: true, checks: { nats: { ok: true }, duckdb: { ok: true }, consumers: { ok: true }, publish: { ok: true } } },
        ]);
        expect(await (await fetch(`${base}healthz`)).json()).toEqual({ status: "ok" });

        // Subscribe to /events first, then publish: the stream must carry a signal.
        const firstSignal = readEvents(`${base}events`, (e) => e === "signal");
        const msgs = feed(20n);
        const publisher = new JetStreamPublisher(f.nc, { inFlight: 1 }); // one at a time: stored in event-time order
        await publisher.publishAll(msgs.map(toOutgoing));
        await publisher.publish({ subject: "md.trades.BAD", data: new TextEncoder().encode('{"v":1,"type":"trade","symbol":"BAD"}'), msgID: "bad-1" });
        const sent = msgs.length + 1;
        await live.waitFor(() => live.run.counters.inputs + live.run.counters.deadLetters >= sent);
        const events = await firstSignal;
        const sig = JSON.parse(events.find((e) => e.event === "signal")!.data) as { pipeline: string; symbol: string; action: string; tsEvent: string };
        expect(sig).toMatchObject({ pipeline: "ops-test", symbol: expect.stringMatching(/^(AAPL|MSFT)$/), action: expect.stringMatching(/^(buy|sell|flat)$/) });
        expect(events[0]!.event).toBe("status"); // a new client gets the status first

        // Prometheus text: the run's counters by bounded labels.
        const c = live.run.counters;
        const metricsRes = await fetch(`${base}metrics`);
        expect(metricsRes.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = await metricsRes.text();
        expect(text).toContain(`tickflow_inputs_total{source_kind="trade"} ${c.inputs}`);
        expect(c.inputs).toBe(msgs.length);
        expect(text).toContain(`tickflow_outputs_total{node="signals"} ${c.outputs["signals"]}`);
        expect(text).toContain(`tickflow_outputs_total{node="indicators"} ${c.outputs["indicators"]}`);
        expect(c.outputs["signals"]).toBeGreaterThan(10);
        expect(text).toContain(`tickflow_dead_letters_total{stage="decode"} 1`);
        expect(text).toContain("tickflow_late_events_total 0");
        expect(text).toContain("tickflow_publish_retries_total 0");
        expect(text).toMatch(/tickflow_batch_duration_seconds_count [1-9]\d*/);
        expect(text).toMatch(/tickflow_sink_commit_duration_seconds_count\{sink="duckdb"\} [1-9]/);
        expect(text).toMatch(/tickflow_sink_commit_duration_seconds_count\{sink="nats"\} [1-9]/);
        expect(text).toMatch(/tickflow_consumer_pending\{consumer="live-ops-1_trades[^"]*"\} \d+/);
        expect(text).toMatch(/tickflow_sequencer_buffered \d+/);
        expect(text).toMatch(/tickflow_watermark_lag_seconds \d/);
        expect(text).toContain("tickflow_process_resident_memory_bytes");

        // JSON API.
        const status = (await (await fetch(`${base}api/status`)).json()) as Record<string, unknown>;
        expect(status).toMatchObject({
          runId: "live-ops-1",
          pipeline: "ops-test",
          state: "running",
          counters: { inputs: c.inputs, deadLetters: 1, late: 0, outputs: c.outputs },
        });
        expect((status.watermark as { ns: string }).ns).toMatch(/^17361/);
        const { signals } = (await (await fetch(`${base}api/signals?limit=5`)).json()) as { signals: { id: string; tsEvent: string }[] };
        expect(signals).toHaveLength(5);
        const recorded = await db.query<{ id: string }>(`SELECT id FROM signals WHERE run_id = 'live-ops-1' ORDER BY out_seq DESC LIMIT 5`);
        expect(signals.map((s) => s.id).reverse()).toEqual(recorded.map((r) => r.id)); // the latest, oldest first
        const bad = await fetch(`${base}api/signals?limit=x`);
        expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'limit must be an integer from 1 to 500, got "x"']);
        const prices = (await (await fetch(`${base}api/prices`)).json()) as { prices: Record<string, unknown[]> };
        expect(Object.keys(prices.prices).sort()).toEqual(["AAPL", "MSFT"]);
        expect(await (await fetch(`${base}api/dead-letters`)).json()).toMatchObject({ deadLetters: [{ stage: "decode", subject: "md.trades.BAD" }] });
        expect((await fetch(`${base}nope`)).status).toBe(404);

        // The dashboard and its chart library, from node_modules.
        const page = await fetch(base);
        expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
        const html = await page.text();
        expect(html).toContain('<script src="/vendor/lightweight-charts.js"></script>');
        expect(html).not.toMatch(/https?:\/\/(?!localhost)/); // no CDN
        const vendor = await fetch(`${base}vendor/lightweight-charts.js`);
        expect(vendor.status).toBe(200);
        expect(
          Buffer.from(await vendor.arrayBuffer()).equals(
            readFileSync(join(import.meta.dirname, "../../node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js")),
          ),
        ).toBe(true);
        expect((await fetch(`${base}dashboard.js`)).status).toBe(200);

        await screenshotDashboard(base, join(tmpdir(), "tickflow-dashboard.png"));

        await live.stop();
        // After the stop everything is committed, the decode dead letter included.
        const after = await (await fetch(`${base}metrics`)).text();
        expect(after).toMatch(/tickflow_sink_commit_duration_seconds_count\{sink="dead_letters"\} [1-9]/);
        expect(after).toMatch(/tickflow_consumer_pending\{consumer="live-ops-1_trades[^"]*"\} 0\n/);
        // Nothing is delivered any more, yet the gauge follows the stream: it asks NATS at each scrape.
        const later = feed(30n).slice(msgs.length, msgs.length + 25);
        expect(later).toHaveLength(25);
        await publisher.publishAll(later.map(toOutgoing));
        expect(await (await fetch(`${base}metrics`)).text()).toMatch(/tickflow_consumer_pending\{consumer="live-ops-1_trades[^"]*"\} 25\n/);
        await ops.close();
        const audit = await readAuditLog(db);
        expect(audit.map((a) => `${a.action} ${a.subject}`)).toEqual(["config.start live-ops-1", "run.start live-ops-1", "run.stop live-ops-1"]);
        expect(JSON.parse(audit[2]!.details)).toMatchObject({ status: "stopped", counters: { inputs: c.inputs, deadLetters: 1 } });
        expect(JSON.parse(audit[0]!.details)).toMatchObject({ pipeline: { name: "ops-test" }, natsUrl: f.url });
        expect((await verifyAuditChain(db)).ok).toBe(true);
        await expect(fetch(`${base}healthz`)).rejects.toThrow(); // the server is closed
      });
    } finally {
      await stopNats(f);
    }
  });

  test("/readyz turns 503 naming NATS when the server stops, and DuckDB when the database closes", async () => {
    const f: NatsFixture = await startNats();
    try {
      await withDatabase(async (db, dbPath) => {
        const pipeline = parsePipeline(PIPELINE, "ops-test.yaml");
        const config: Config = { natsUrl: f.url, dbPath, dataDir: tmpdir(), natsUrlFromEnv: true };
        const ops = await LiveOps.start({ nc: f.nc, db, pipeline, runId: "live-ops-2", config, httpPort: await freePort(), jobs: [] });
        try {
          await ops.running();
          expect((await fetch(`${ops.url}readyz`)).status).toBe(200);
          await f.server.stop();
          let body: { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } | undefined;
          for (let i = 0; i < 200; i++) {
            const r = await fetch(`${ops.url}readyz`);
            body = (await r.json()) as typeof body;
            if (r.status === 503) break;
            await new Promise((res) => setTimeout(res, 50));
          }
          expect(body).toMatchObject({
            ready: false,
            checks: {
              nats: { ok: false, reason: expect.stringMatching(/^disconnected from NATS .*; reconnecting/) },
              duckdb: { ok: true },
              consumers: { ok: true },
            },
          });
          expect((await fetch(`${ops.url}healthz`)).status).toBe(200); // alive, just not ready
          await db.close();
          const r = await fetch(`${ops.url}readyz`);
          expect([r.status, ((await r.json()) as { checks: { duckdb: unknown } }).checks.duckdb]).toEqual([
            503,
            { ok: false, reason: expect.stringMatching(/DuckDB .*test\.duckdb: DuckDB .* is closed/) },
          ]);
        } finally {
          await ops.close();
        }
      });
    } finally {
      await f.nc.close().catch(() => undefined);
    }
  });
});

async function screenshotDashboard(base: string, path: string): Promise<void> {
  await withBrowser(
    async (page, errors) => {
      await page.goto(base);
      await page.waitForFunction(() => (globalThis as unknown as { tickflowDashboard?: { ready: boolean } }).tickflowDashboard?.ready === true);
      await page.waitForSelector("#signals tr");
      expect(await page.evaluate(() => (globalThis as unknown as { tickflowDashboard: { symbols(): string[] } }).tickflowDashboard.symbols().sort())).toEqual([
        "AAPL",
        "MSFT",
      ]);
      expect(
        await page.evaluate(() => (globalThis as unknown as { tickflowDashboard: { points(s: string): number } }).tickflowDashboard.points("AAPL")),
      ).toBeGreaterThan(10);
      expect(await page.locator("#chart canvas").count()).toBeGreaterThan(0);
      expect(await page.locator("#state").textContent()).toBe("running");
      await page.screenshot({ path, fullPage: true });
      expect(errors).toEqual([]);
    },
    { width: 1280, height: 900 },
  );
}
