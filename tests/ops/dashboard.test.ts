// The dashboard (ops/liveFeed.ts, ops/httpServer.ts, ops/dashboard/, `tickflow dashboard`): LiveFeed keeps what
// each panel shows, bounded; a live sma-crossover run on a real nats-server shows candles and the recorded equity in
// Debian's chromium, and updates as bars arrive; a recorded run is served with the same equity.
import { describe, expect, test } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startNats, stopNats } from "../helpers/nats.ts";
import { withBrowser } from "../helpers/browser.ts";
import { withDatabase } from "../helpers/duckdb.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { LiveOps } from "../../app/liveOps.ts";
import { serveRecordedRun } from "../../app/recordedDashboard.ts";
import { freePort } from "../../io/nats/natsServer.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { BarMessage } from "../../schemas/bar.ts";
import { publishSubject } from "../../schemas/kinds.ts";
import type { Config } from "../../io/config.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { LiveFeed, type FeedEvent } from "../../ops/liveFeed.ts";
import { paneOf } from "../../ops/chartSeries.ts";
import { graphOfDeclaration } from "../../ops/pipelineGraph.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import type { Order } from "../../schemas/order.ts";
import type { EquitySnapshot, PositionSnapshot } from "../../schemas/position.ts";
import type { Fill } from "../../schemas/fill.ts";
import type { OrderEvent } from "../../schemas/orderEvent.ts";
import type { Signal } from "../../schemas/signal.ts";

const T0 = 1_736_150_400_000_000_000n; // 2025-01-06T08:00Z
const MIN = 60_000_000_000n;
const DAY = 86_400_000_000_000n;
const sec = (ns: bigint): number => Number(ns / 1_000_000_000n);

function bar(symbol: string, tsOpen: bigint, close: number, len = MIN, volume = 100): Bar {
  return {
    symbol,
    timeframe: len === DAY ? "1d" : "1m",
    tsOpen,
    tsEvent: tsOpen + len,
    open: close - 1,
    high: close + 2,
    low: close - 2,
    close,
    volume,
    vwap: close,
    trades: 3,
  };
}
function order(id: string, status: Order["status"], filledQty = 0): Order {
  return {
    id,
    clientOrderId: id,
    strategy: "s",
    symbol: "ORCL",
    side: "buy",
    orderType: "limit",
    qty: 10,
    limitPrice: 20,
    tif: "gtc",
    tsSubmitted: T0,
    tsEvent: T0,
    status,
    filledQty,
    revision: 0,
  };
}
function equity(e: number, tsEvent: bigint, account = "paper"): EquitySnapshot {
  return { account, tsEvent, cash: e, equity: e, grossExposure: 0, netExposure: 0, marginUsed: 0, realizedPnl: 0, unrealizedPnl: 0, commission: 0 };
}
function position(symbol: string, qty: number, tsEvent: bigint, account = "paper"): PositionSnapshot {
  return { account, symbol, tsEvent, qty, avgPrice: 10, markPrice: 11, realizedPnl: 1, unrealizedPnl: qty, commission: 0 };
}

describe("LiveFeed", () => {
  test("input bars make candles, prices and volume: what a live sma-crossover run charts (its bars are inputs)", () => {
    const feed = new LiveFeed();
    const events: FeedEvent[] = [];
    feed.subscribe((e) => events.push(e));
    feed.inputItems("bars", "bar", [bar("ORCL", T0, 10), bar("ORCL", T0 + MIN, 11, MIN, 250)]);
    const c = feed.candles().ORCL!;
    expect(c.candles).toEqual([
      { time: sec(T0), open: 9, high: 12, low: 8, close: 10, volume: 100 },
      { time: sec(T0 + MIN), open: 10, high: 13, low: 9, close: 11, volume: 250 },
    ]);
    expect(feed.priceSeries().ORCL!.map((p) => p.close)).toEqual([10, 11]); // /api/prices is no longer {}
    expect(events.filter((e) => e.type === "candle")).toHaveLength(2);
    // The same bar again replaces its candle; an older one is dropped and counted.
    feed.inputItems("bars", "bar", [bar("ORCL", T0 + MIN, 12), bar("ORCL", T0, 9)]);
    expect(feed.candles().ORCL!.candles.map((x) => x.close)).toEqual([10, 12]);
    expect(feed.chart.outOfOrder).toBe(1);
    expect(feed.graph().counts).toEqual({ bars: 4 });
  });

  test("daily bars are charted at their session date; equity too", () => {
    const feed = new LiveFeed();
    const d0 = 1_136_160_000_000_000_000n; // 2006-01-02T00:00Z
    feed.inputItems("bars", "bar", [bar("ORCL", d0, 12.5, DAY)]);
    feed.outputs("equity", "equity", [equity(100_000, d0 + DAY)]); // stamped at the bar's end, 2006-01-03T00:00
    expect(feed.candles().ORCL!.candles[0]!.time).toBe(sec(d0));
    expect(feed.tradingState().accounts[0]!.series[0]!.time).toBe(sec(d0));
  });

  test("feature rows give candles, price overlays and lower-pane oscillators", () => {
    const feed = new LiveFeed();
    const row: FeatureRow = {
      id: "x",
      symbol: "AAPL",
      tsEvent: T0 + MIN,
      timeframe: "1m",
      values: { open: 100, high: 102, low: 99, close: 101, volume: 5, ret: 0.01, emaFast: 100.5, sma30: 98, rsi: 64, fair: 103, zz: 9000, sentiment: 0.4 },
    };
    feed.outputs("joined", "features", [row]);
    const c = feed.candles().AAPL!;
    expect(c.candles).toEqual([{ time: sec(T0), open: 100, high: 102, low: 99, close: 101, volume: 5 }]); // the bar's open
    expect(Object.fromEntries(Object.entries(c.overlays).map(([n, o]) => [n, o.pane]))).toEqual({
      emaFast: "price",
      sma30: "price",
      fair: "price",
      rsi: "lower",
      zz: "lower",
      sentiment: "lower",
    });
    expect(c.overlays.rsi!.points).toEqual([{ time: sec(T0), value: 64 }]);
    expect(paneOf("bb.upper", 1e6, 100)).toBe("price");
    expect(paneOf("close", 100, 100)).toBeUndefined();
  });

  test("signal and fill markers sit on the candle of the bar they were decided or filled on", () => {
    const feed = new LiveFeed();
    feed.inputItems("bars", "bar", [bar("ORCL", T0, 10), bar("ORCL", T0 + MIN, 11)]);
    const sig: Signal = { id: "s1", pipeline: "p", symbol: "ORCL", tsEvent: T0 + MIN, action: "buy", strength: 1, reason: "r", inputs: { close: 10 } };
    const fill: Fill = {
      id: "o1:f1",
      orderId: "o1",
      strategy: "s",
      symbol: "ORCL",
      side: "buy",
      qty: 7,
      price: 10.5,
      commission: 1,
      tsEvent: T0 + 2n * MIN,
      tsPrice: T0 + MIN,
      liquidity: "taker",
      policy: "next_open",
    };
    feed.outputs("signals", "signal", [sig]);
    feed.outputs("fills", "fill", [fill]);
    expect(feed.candles().ORCL!.markers).toEqual([
      { time: sec(T0), kind: "signal", side: "buy", text: "BUY", price: 10 },
      { time: sec(T0 + MIN), kind: "fill", side: "buy", text: "B 7@10.5", price: 10.5 },
    ]);
    expect(feed.tradingState().fills).toMatchObject([{ id: "o1:f1", qty: 7, price: 10.5, tsEvent: String(T0 + 2n * MIN) }]);
  });

  test("open orders: accepted, partially filled and pending legs are open; filled, cancelled, rejected, expired are not", () => {
    const feed = new LiveFeed();
    const open = (): string[] => feed.tradingState().openOrders.map((o) => `${o.id}:${o.status}:${o.filledQty}`);
    feed.outputs("orders", "order", [order("a", "accepted"), order("b", "accepted"), order("c", "pending_parent")]);
    expect(open()).toEqual(["a:accepted:0", "b:accepted:0", "c:pending_parent:0"]);
    feed.outputs("orders", "order", [order("a", "partially_filled", 4)]);
    expect(open()).toEqual(["a:partially_filled:4", "b:accepted:0", "c:pending_parent:0"]);
    feed.outputs("orders", "order", [
      order("a", "filled", 10),
      order("b", "cancelled"),
      order("c", "expired"),
      { ...order("d", "rejected"), reason: "exceeds maxGrossExposure" },
    ]);
    expect(open()).toEqual([]);
    expect(feed.tradingState().rejections).toMatchObject([{ id: "d", status: "rejected", reason: "exceeds maxGrossExposure" }]);
    expect(feed.tradingState().openOrders).toEqual([]);
  });

  test("positions: the latest snapshot per account and symbol", () => {
    const feed = new LiveFeed();
    feed.outputs("positions", "position", [
      position("ORCL", 10, T0),
      position("MSFT", 5, T0),
      position("ORCL", -3, T0 + MIN),
      position("ORCL", 1, T0, "other"),
    ]);
    const p = feed.tradingState().positions.map((x) => `${x.account}/${x.symbol}:${x.qty}`);
    expect(p.sort()).toEqual(["other/ORCL:1", "paper/MSFT:5", "paper/ORCL:-3"]);
  });

  test("equity and drawdown from the running peak (kept when the series is trimmed)", () => {
    const feed = new LiveFeed({ equityPoints: 2 });
    feed.outputs("equity", "equity", [equity(100, T0), equity(110, T0 + MIN), equity(99, T0 + 2n * MIN), equity(104.5, T0 + 3n * MIN)]);
    const a = feed.tradingState().accounts[0]!;
    expect(a.series).toEqual([
      { time: sec(T0 + 2n * MIN), equity: 99, drawdown: 99 / 110 - 1 },
      { time: sec(T0 + 3n * MIN), equity: 104.5, drawdown: 104.5 / 110 - 1 },
    ]);
    expect([a.peak, a.maxDrawdown, a.drawdown, a.latest.equity]).toEqual([110, 99 / 110 - 1, 104.5 / 110 - 1, 104.5]);
    // Two snapshots in one second: the last stands.
    feed.outputs("equity", "equity", [equity(120, T0 + 3n * MIN)]);
    expect(feed.tradingState().accounts[0]!.series.at(-1)).toEqual({ time: sec(T0 + 3n * MIN), equity: 120, drawdown: 0 });
  });

  test("kill switch: tripped with its reason, then reset", () => {
    const feed = new LiveFeed();
    const ev = (kind: OrderEvent["kind"], ts: bigint): OrderEvent => ({
      id: `paper:${kind}:${ts}`,
      account: "paper",
      tsEvent: ts,
      kind,
      reason: "daily loss 26000 > 25000",
      equity: 74_000,
    });
    feed.outputs("riskEvents", "orderEvent", [ev("kill_switch_tripped", T0)]);
    expect(feed.tradingState().killSwitch).toEqual([
      { account: "paper", tripped: true, reason: "daily loss 26000 > 25000", at: "2025-01-06T08:00:00.000000000Z", equity: 74_000 },
    ]);
    feed.outputs("riskEvents", "orderEvent", [ev("kill_switch_reset", T0 + DAY)]);
    expect(feed.tradingState().killSwitch).toMatchObject([{ tripped: false }]);
  });

  test("news from the inputs, with the sentiment a node scored for each symbol", () => {
    const feed = new LiveFeed({ news: 2 });
    feed.inputItems("news", "news", [{ id: "n1", source: "wire", tsEvent: T0, headline: "ORCL beats", symbols: ["ORCL"] }]);
    feed.outputs("sentiment", "scoredNews", [{ id: "n1", source: "wire", tsEvent: T0, symbol: "ORCL", score: 0.8, label: "positive", headline: "ORCL beats" }]);
    expect(feed.news()).toEqual([
      {
        id: "n1",
        source: "wire",
        at: "2025-01-06T08:00:00.000000000Z",
        headline: "ORCL beats",
        symbols: ["ORCL"],
        scores: [{ symbol: "ORCL", score: 0.8, label: "positive" }],
      },
    ]);
    feed.inputItems("news", "news", [
      { id: "n2", source: "wire", tsEvent: T0 + MIN, headline: "b", symbols: [] },
      { id: "n3", source: "wire", tsEvent: T0 + 2n * MIN, headline: "c", symbols: [] },
    ]);
    expect(feed.news().map((n) => n.id)).toEqual(["n2", "n3"]); // bounded: the oldest is forgotten
  });

  test("bounded: symbols, candles per symbol, signals, open orders", () => {
    const feed = new LiveFeed({ maxSymbols: 2, pointsPerSymbol: 5, signals: 3 });
    feed.inputItems(
      "bars",
      "bar",
      ["A", "B", "C"].map((s) => bar(s, T0, 10)),
    );
    expect(Object.keys(feed.candles())).toEqual(["A", "B"]);
    feed.inputItems(
      "bars",
      "bar",
      Array.from({ length: 50 }, (_, i) => bar("A", T0 + BigInt(i + 1) * MIN, 10 + i)),
    );
    expect(feed.candles().A!.candles.map((c) => c.close)).toEqual([55, 56, 57, 58, 59]);
    const sig = (i: number): Signal => ({
      id: `s${i}`,
      pipeline: "p",
      symbol: "A",
      tsEvent: T0 + BigInt(i) * MIN,
      action: "flat",
      strength: 0,
      reason: "r",
      inputs: {},
    });
    feed.outputs(
      "signals",
      "signal",
      Array.from({ length: 10 }, (_, i) => sig(i)),
    );
    expect(feed.latestSignals(500).map((s) => s.id)).toEqual(["s7", "s8", "s9"]);
    feed.outputs(
      "orders",
      "order",
      Array.from({ length: 600 }, (_, i) => order(`o${i}`, "accepted")),
    );
    const open = feed.tradingState().openOrders;
    expect([open.length, open[0]!.id, feed.trading.forgotten]).toEqual([500, "o100", 100]);
  });

  test("graph: counts per node and source, rates over wall time, dead letters per stage", () => {
    let now = 1_000_000;
    const feed = new LiveFeed({ now: () => now });
    const g = graphOfDeclaration({
      sources: { bars: { type: "bar" } },
      nodes: {
        indicators: { op: "indicators", in: "bars" },
        broker: { op: "paperBroker", in: ["bars", "indicators"] },
        equity: { op: "equity", in: "broker" },
      },
      sinks: [{ type: "duckdb", in: "equity" }],
    })!;
    expect(g.nodes.map((n) => `${n.name}@${n.column}${n.output ? "*" : ""}`)).toEqual(["bars@0", "indicators@1", "broker@2", "equity@3*"]);
    expect(g.edges).toEqual([
      { from: "bars", to: "indicators" },
      { from: "bars", to: "broker" },
      { from: "indicators", to: "broker" },
      { from: "broker", to: "equity" },
    ]);
    feed.setGraph(g);
    feed.inputItems("bars", "bar", [bar("X", T0, 1)]);
    expect(feed.graph().rates).toEqual({ bars: 0 });
    now += 2000;
    feed.outputs("equity", "equity", [equity(1, T0), equity(2, T0 + MIN), equity(3, T0 + 2n * MIN), equity(4, T0 + 3n * MIN)]);
    feed.deadLetter({ stage: "decode", subject: "md.bars.1d.X", ref: "7", reason: "bad", payload: "{}" });
    const j = feed.graph();
    expect([j.counts, j.rates, j.deadLetters]).toEqual([{ bars: 1, equity: 4 }, { bars: 0, equity: 2 }, { decode: 1 }]);
  });
});

// ---- in Debian's chromium: a live trading run, then the same run from its recording ------------------------------

const TRADING_PIPELINE = `
name: dash-sma
sources:
  bars: { type: bar }
sequencing: { maxDelay: 0s, idleAfter: 100ms }
nodes:
  indicators: { op: indicators, in: bars, params: { set: [{ id: sma3, name: sma, period: 3 }, { id: sma8, name: sma, period: 8 }] } }
  broker:
    op: paperBroker
    in: [bars, indicators]
    params:
      startingCash: 100000
      policy: { name: next-open, onBars: next_open, slippage: { bps: 5 } }
      commission: { perUnit: 0.005, minimum: 1 }
      strategy:
        name: sma3x8
        direction: long_short
        enterLong: { crossAbove: [sma3, sma8] }
        enterShort: { crossBelow: [sma3, sma8] }
        sizing: { kind: percent_equity, percent: 50 }
  orders: { op: orders, in: broker }
  fills: { op: fills, in: broker }
  positions: { op: positions, in: broker }
  equity: { op: equity, in: broker }
sinks:
  - { type: duckdb, in: orders }
  - { type: duckdb, in: fills }
  - { type: duckdb, in: positions }
  - { type: duckdb, in: equity }
`;

interface DashboardHooks {
  ready: boolean;
  candles(s: string): number;
  markers(s: string): number;
  equity(): number | undefined;
}

async function lastRecordedEquity(db: Database, runId: string): Promise<number> {
  const rows = await db.query<{ equity: number }>(`SELECT equity FROM equity WHERE run_id = '${runId}' ORDER BY out_seq DESC LIMIT 1`);
  expect(rows).toHaveLength(1);
  return rows[0]!.equity;
}

/** Waits until the page shows `candles` ORCL candles and the equity `equity`; returns what it showed when it gave up. */
async function pageShows(page: Page, candles: number, equity: number): Promise<void> {
  try {
    await page.waitForFunction(
      ([n, e]) => {
        const d = (globalThis as unknown as { tickflowDashboard?: DashboardHooks }).tickflowDashboard;
        return d?.ready === true && d.candles("ORCL") === n && d.equity() === e;
      },
      [candles, equity] as const,
      { timeout: 30_000 },
    );
  } catch (e) {
    const seen = await page.evaluate(() => {
      const d = (globalThis as unknown as { tickflowDashboard?: DashboardHooks }).tickflowDashboard;
      return { candles: d?.candles("ORCL"), equity: d?.equity() };
    });
    throw new Error(`the page shows ${JSON.stringify(seen)}, wanted ${candles} candles and equity ${equity}`, { cause: e });
  }
}

describe("the dashboard in chromium", () => {
  test("a live trading run: candles, markers, equity equal to the recording's, positions and fills; it updates as bars arrive; the recorded run shows the same", async () => {
    const f = await startNats();
    try {
      await withDatabase(async (db, dbPath) => {
        const pipeline = parsePipeline(TRADING_PIPELINE, "dash-sma.yaml");
        const config: Config = { natsUrl: f.url, dbPath, dataDir: tmpdir(), natsUrlFromEnv: true };
        const runId = "dash-live-1";
        const ops = await LiveOps.start({ nc: f.nc, db, pipeline, runId, config, httpPort: await freePort(), jobs: [] });
        const live = new LiveRun({ pipeline, nc: f.nc, db, runId, metrics: ops.hooks, print: () => undefined });
        ops.attach(live);
        await live.start();
        await ops.running();
        const bars = orclBars().slice(0, 200);
        const publisher = new JetStreamPublisher(f.nc, { inFlight: 1 }); // one at a time: stored in event-time order
        const publish = (bs: typeof bars) =>
          publisher.publishAll(bs.map((b) => ({ subject: publishSubject("bar", b), data: BarMessage.encodeBytes(b), msgID: `ORCL:1d:${b.tsOpen}` })));

        await withBrowser(async (page, errors) => {
          await publish(bars.slice(0, 120));
          await live.waitFor(() => live.run.counters.inputs >= 120);
          const equity1 = await lastRecordedEquity(db, runId);
          await page.goto(ops.url!);
          await pageShows(page, 120, equity1);
          expect(await page.evaluate(() => (globalThis as unknown as { tickflowDashboard: DashboardHooks }).tickflowDashboard.markers("ORCL"))).toBeGreaterThan(
            0,
          ); // fills (and their markers) happened
          expect(await page.locator("#trading").isVisible()).toBe(true);
          expect(await page.locator("#positions tr").count()).toBe(1);
          expect(await page.locator("#fills tr").count()).toBeGreaterThan(0);
          expect(await page.locator("#equity-chart canvas").count()).toBeGreaterThan(0);
          expect(await page.locator("#graph").textContent()).toContain("broker");

          // More bars while the page is open: it follows the run over /events, without a reload.
          await publish(bars.slice(120));
          await live.waitFor(() => live.run.counters.inputs >= 200);
          const equity2 = await lastRecordedEquity(db, runId);
          expect(equity2).not.toBe(equity1);
          await pageShows(page, 200, equity2);
          await page.screenshot({ path: join(tmpdir(), "tickflow-dashboard-trading.png"), fullPage: true });
          expect(errors).toEqual([]);

          await live.stop();
          const liveUrl = ops.url!;
          await ops.close();
          // The finished run, from the recording alone (what `tickflow dashboard RUN_ID` serves).
          const recorded = await serveRecordedRun(db, runId, { port: 0, config });
          try {
            await page.goto(recorded.url);
            await pageShows(page, 200, equity2);
            // Inputs are counted under the declared source's name ("bars"), as the live graph counts them.
            const graph = (await (await fetch(`${recorded.url}api/graph`)).json()) as { counts: Record<string, number> };
            expect(graph.counts.bars).toBe(200);
            expect(await page.locator("#state").textContent()).toMatch(/finished|stopped/);
            // The open page's /events and /api/graph polls fail when the live server closes under them: expected.
            expect(errors.filter((e) => !e.startsWith(`request failed: ${liveUrl}`))).toEqual([]);
          } finally {
            await recorded.close();
          }
        });
      });
    } finally {
      await stopNats(f);
    }
  }, 120_000);
});
