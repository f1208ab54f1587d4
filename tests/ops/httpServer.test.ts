// The HTTP server without a run: per-IP rate limiting of the API (429 + Retry-After, probes and /metrics exempt),
// method and path errors, and an SSE client receiving a signal pushed through the feed.
import { describe, expect, test } from "vitest";
import { startOpsServer } from "../../ops/httpServer.ts";
import { TickflowMetrics } from "../../ops/metrics.ts";
import { LiveFeed } from "../../ops/liveFeed.ts";
import { KeyedRateLimiter } from "../../ops/rateLimiter.ts";
import type { Signal } from "../../schemas/signal.ts";

describe("ops HTTP server", () => {
  test("the API is rate limited per client with Retry-After; probes and /metrics are not", async () => {
    const clock = { t: 0, nowMs: () => clock.t };
    const server = await startOpsServer({
      port: 0,
      metrics: new TickflowMetrics(),
      feed: new LiveFeed(),
      status: () => ({ runId: "r" }),
      readiness: [],
      rateLimiter: new KeyedRateLimiter({ capacity: 2, refillPerSecond: 0.5, clock }),
    });
    try {
      expect((await fetch(`${server.url}api/status`)).status).toBe(200);
      expect((await fetch(`${server.url}api/signals`)).status).toBe(200);
      const limited = await fetch(`${server.url}api/status`);
      expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "2"]);
      expect(((await limited.json()) as { error: string }).error).toMatch(/^rate limit exceeded for .*; retry after 2 s$/);
      for (const p of ["metrics", "healthz", "readyz", "metrics"]) expect((await fetch(`${server.url}${p}`)).status).toBe(200);
      clock.t += 2_000;
      expect((await fetch(`${server.url}api/status`)).status).toBe(200);
      const post = await fetch(`${server.url}api/status`, { method: "POST" });
      expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    } finally {
      await server.close();
    }
  });

  test("an /events client gets status first, then a signal the run emitted", async () => {
    const feed = new LiveFeed();
    const server = await startOpsServer({ port: 0, metrics: new TickflowMetrics(), feed, status: () => ({ runId: "r" }), readiness: [] });
    try {
      const ac = new AbortController();
      const res = await fetch(`${server.url}events`, { signal: ac.signal });
      const reader = res.body!.getReader();
      let text = "";
      const readUntil = async (s: string): Promise<void> => {
        while (!text.includes(s)) text += new TextDecoder().decode((await reader.read()).value);
      };
      await readUntil("event: status");
      const signal: Signal = {
        id: "p:signals:AAPL:1",
        pipeline: "p",
        symbol: "AAPL",
        tsEvent: 1_736_150_400_000_000_000n,
        action: "buy",
        strength: 0.5,
        reason: "test",
        inputs: { close: 101.5 },
      };
      feed.outputs("signals", "signal", [signal]);
      await readUntil("event: signal");
      await readUntil("event: price");
      ac.abort();
      expect(text).toContain(
        `event: signal\ndata: {"v":1,"type":"signal","id":"p:signals:AAPL:1","pipeline":"p","symbol":"AAPL","tsEvent":"1736150400000000000","action":"buy"`,
      );
      expect(text).toContain(`event: price\ndata: {"symbol":"AAPL","timeMs":1736150400000,"close":101.5}`);
      expect(feed.latestSignals(10)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
