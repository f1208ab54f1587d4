// The HTTP server without a run: the Host allowlist (DNS rebinding), per-IP rate limits of every endpoint (429 +
// Retry-After; /metrics and the probes in buckets of their own), size limits, method and path errors, and SSE.
import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { DEFAULT_RATE_LIMITS, MAX_URL_BYTES, startOpsServer, type OpsServer, type OpsServerOptions } from "../../ops/httpServer.ts";
import { TickflowMetrics } from "../../ops/metrics.ts";
import { LiveFeed } from "../../ops/liveFeed.ts";
import { KeyedRateLimiter } from "../../ops/rateLimiter.ts";
import type { Signal } from "../../schemas/signal.ts";
import { loadConfig } from "../../io/config.ts";
import { InvalidHttpHostError } from "../../io/httpHosts.ts";

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A GET with headers fetch() will not send (Host). */
function get(server: OpsServer, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject).end();
  });
}

/** Writes `head` as is on a raw socket; returns the status code and body of the answer. */
function raw(server: OpsServer, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8").on("data", (c: string) => (text += c));
    socket.on("error", reject).on("close", () => resolve({ status: Number(text.split(" ")[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) }));
    socket.end(head);
  });
}

async function withServer(o: Partial<OpsServerOptions>, fn: (server: OpsServer) => Promise<void>): Promise<void> {
  const server = await startOpsServer({ port: 0, metrics: new TickflowMetrics(), feed: new LiveFeed(), status: () => ({ runId: "r" }), readiness: [], ...o });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

describe("ops HTTP server", () => {
  test("the API is rate limited per client with Retry-After; /metrics and the probes have buckets of their own", async () => {
    const clock = { t: 0, nowMs: () => clock.t };
    const server = await startOpsServer({
      port: 0,
      metrics: new TickflowMetrics(),
      feed: new LiveFeed(),
      status: () => ({ runId: "r" }),
      readiness: [],
      rateLimiters: { api: new KeyedRateLimiter({ capacity: 2, refillPerSecond: 0.5, clock }) },
    });
    try {
      expect((await fetch(`${server.url}api/status`)).status).toBe(200);
      expect((await fetch(`${server.url}api/signals`)).status).toBe(200);
      const limited = await fetch(`${server.url}api/status`);
      expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "2"]);
      expect(((await limited.json()) as { error: string }).error).toMatch(/^rate limit exceeded for .* \(api bucket\); retry after 2 s$/);
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

  test("a foreign or missing Host is refused with 421 on every endpoint; the loopback names pass, with the port or without", async () => {
    await withServer({}, async (server) => {
      const p = server.port;
      for (const host of ["localhost", `localhost:${p}`, "127.0.0.1", `127.0.0.1:${p}`, "[::1]", `[::1]:${p}`, `LocalHost:${p}`])
        expect([host, (await get(server, "/healthz", { host })).status]).toEqual([host, 200]);
      for (const host of ["evil.example", `evil.example:${p}`, "localhost.evil.example", `localhost:${p + 1}`, "127.0.0.2"]) {
        for (const path of ["/", "/metrics", "/healthz", "/readyz", "/api/status", "/events"])
          expect([host, path, (await get(server, path, { host })).status]).toEqual([host, path, 421]);
      }
      const refused = await get(server, "/api/status", { host: `evil.example:${p}` });
      const body = JSON.parse(refused.body) as { error: string; allowedHosts: string[]; howToAdd: string };
      expect(body.error).toBe(`Host "evil.example:${p}" is not a name this server answers to (a guard against DNS rebinding)`);
      expect(body.allowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"]);
      expect(body.howToAdd).toMatch(/TICKFLOW_HTTP_HOSTS/);
      // HTTP/1.0 needs no Host; Node refuses HTTP/1.1 without one by itself (400).
      const missing = await raw(server, "GET /api/status HTTP/1.0\r\n\r\n");
      expect([missing.status, JSON.parse(missing.body).error]).toEqual([421, "the request has no Host header; this server answers only to the names below"]);
      expect((await raw(server, "GET /api/status HTTP/1.0\r\nHost: localhost\r\n\r\n")).status).toBe(200);
    });
  });

  test("TICKFLOW_HTTP_HOSTS adds names: bare ones with the server's port or without, name:port exactly", async () => {
    const config = loadConfig({ TICKFLOW_HTTP_HOSTS: " Dash.Internal, 10.0.0.5:8080 ,[fd00::1]" });
    expect(config.httpHosts).toEqual(["dash.internal", "10.0.0.5:8080", "[fd00::1]"]);
    expect(loadConfig({}).httpHosts).toEqual([]);
    await withServer({ allowedHosts: config.httpHosts }, async (server) => {
      const p = server.port;
      for (const host of ["dash.internal", `dash.internal:${p}`, "10.0.0.5:8080", `[fd00::1]:${p}`, `localhost:${p}`])
        expect([host, (await get(server, "/api/status", { host })).status]).toEqual([host, 200]);
      for (const host of [`dash.internal:${p + 1}`, "10.0.0.5", `10.0.0.5:${p}`, "evil.example"])
        expect([host, (await get(server, "/api/status", { host })).status]).toEqual([host, 421]);
      const body = JSON.parse((await get(server, "/", { host: "evil.example" })).body) as { allowedHosts: string[] };
      expect(body.allowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]", "dash.internal", "10.0.0.5:8080", "[fd00::1]"]);
    });
  });

  test("an invalid TICKFLOW_HTTP_HOSTS entry is refused at start, named, never ignored", async () => {
    for (const bad of ["http://dash.internal", "dash.internal/x", "*.example", "dash.internal:0", "dash.internal:99999", "-dash", "300.1.1.1", "[]", "a b"]) {
      const e = (() => {
        try {
          loadConfig({ TICKFLOW_HTTP_HOSTS: `localhost,${bad}` });
          return undefined;
        } catch (err) {
          return err;
        }
      })();
      expect(e, bad).toBeInstanceOf(InvalidHttpHostError);
      expect((e as Error).message).toBe(
        `TICKFLOW_HTTP_HOSTS: ${JSON.stringify(bad)} is not a host name; expected comma-separated names such as dash.internal, 10.0.0.5 or [fd00::1], ` +
          "each optionally with :port (no scheme, path, wildcard or empty entry)",
      );
    }
    expect(() => loadConfig({ TICKFLOW_HTTP_HOSTS: "dash.internal,,other" })).toThrow(/TICKFLOW_HTTP_HOSTS: "" is not a host name/);
    const started = startOpsServer({
      port: 0,
      metrics: new TickflowMetrics(),
      feed: new LiveFeed(),
      status: () => ({}),
      readiness: [],
      allowedHosts: ["dash/x"],
    });
    await expect(started).rejects.toThrow(/^allowedHosts \(TICKFLOW_HTTP_HOSTS\): "dash\/x" is not a host name/);
  });

  test("/metrics and the probes are rate limited in their own buckets: a scrape and probes every second pass, a hammering gets 429", async () => {
    const clock = { t: 0, nowMs: () => clock.t };
    const rateLimiters = {
      api: new KeyedRateLimiter({ ...DEFAULT_RATE_LIMITS.api, clock }),
      metrics: new KeyedRateLimiter({ ...DEFAULT_RATE_LIMITS.metrics, clock }),
      probes: new KeyedRateLimiter({ ...DEFAULT_RATE_LIMITS.probes, clock }),
    };
    await withServer({ rateLimiters }, async (server) => {
      // A minute of a Prometheus scrape every second and kubelet liveness, readiness and startup probes every second.
      for (let s = 0; s < 60; s++, clock.t += 1_000)
        for (const p of ["metrics", "healthz", "readyz", "healthz"]) expect([s, p, (await fetch(`${server.url}${p}`)).status]).toEqual([s, p, 200]);
      // Hammering /metrics within one instant: the burst of 20 passes, then 429 with Retry-After.
      const hammered = [];
      for (let i = 0; i < 25; i++) hammered.push(await fetch(`${server.url}metrics`));
      expect(hammered.filter((r) => r.status === 200)).toHaveLength(DEFAULT_RATE_LIMITS.metrics.capacity);
      const limited = hammered.at(-1)!;
      expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "1"]);
      expect(((await limited.json()) as { error: string }).error).toMatch(/^rate limit exceeded for .* \(metrics bucket\); retry after 1 s$/);
      // The probes and the API keep their own buckets.
      expect((await fetch(`${server.url}healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}api/status`)).status).toBe(200);
      const probes = [];
      for (let i = 0; i < 35; i++) probes.push((await fetch(`${server.url}${i % 2 ? "healthz" : "readyz"}`)).status);
      expect(probes.filter((s) => s === 429).length).toBeGreaterThan(0);
      clock.t += 1_000;
      expect((await fetch(`${server.url}metrics`)).status).toBe(200);
    });
  });

  test("with the default limiters, hammering /metrics or /healthz gets 429", async () => {
    await withServer({}, async (server) => {
      for (const p of ["metrics", "healthz"]) {
        const statuses = await Promise.all(Array.from({ length: 80 }, async () => (await fetch(`${server.url}${p}`)).status));
        expect([p, statuses.includes(429)]).toEqual([p, true]);
      }
    });
  });

  test("an oversized URL gets 414 and oversized headers 431, each with a JSON error; a URL just under the limit is served", async () => {
    await withServer({}, async (server) => {
      const under = `/nope?x=${"a".repeat(MAX_URL_BYTES - 8)}`;
      expect(under.length).toBe(MAX_URL_BYTES);
      expect((await fetch(`${server.url}${under.slice(1)}`)).status).toBe(404);
      const over = await fetch(`${server.url}api/signals?x=${"a".repeat(MAX_URL_BYTES)}`);
      expect([over.status, ((await over.json()) as { error: string }).error]).toEqual([
        414,
        "request URL longer than 8192 bytes; every endpoint takes at most a short query (/api/signals?limit=N)",
      ]);
      // Past Node's 16 KiB head: refused by the parser, still with a clear answer.
      const huge = await raw(server, `GET /api/status?x=${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      expect([huge.status, JSON.parse(huge.body).error]).toEqual([
        414,
        "request URL longer than 8192 bytes; every endpoint takes at most a short query (/api/signals?limit=N)",
      ]);
      const headers = await raw(server, `GET /api/status HTTP/1.1\r\nHost: localhost\r\nCookie: ${"c".repeat(20_000)}\r\n\r\n`);
      expect([headers.status, JSON.parse(headers.body).error]).toEqual([
        431,
        "request headers larger than 16384 bytes in all; send fewer or smaller headers (cookies)",
      ]);
      expect((await fetch(`${server.url}healthz`)).status).toBe(200);
    });
  });

  test("/favicon.ico and /favicon.svg serve the icon (no 404 in every browser tab)", async () => {
    await withServer({}, async (server) => {
      for (const p of ["favicon.ico", "favicon.svg"]) {
        const r = await fetch(`${server.url}${p}`);
        expect([r.status, r.headers.get("content-type")]).toEqual([200, "image/svg+xml"]);
        expect(await r.text()).toMatch(/^<svg /);
      }
    });
  });

  test("/api/signals?limit=N takes an integer from 1 to 500", async () => {
    await withServer({}, async (server) => {
      for (const q of ["limit=0", "limit=501", "limit=x", "limit=1.5", "limit=", "limit=-1"]) {
        const r = await fetch(`${server.url}api/signals?${q}`);
        expect([q, r.status]).toEqual([q, 400]);
        expect(((await r.json()) as { error: string }).error).toMatch(/^limit must be an integer from 1 to 500, got "/);
      }
      for (const q of ["limit=1", "limit=500", ""]) expect([q, (await fetch(`${server.url}api/signals?${q}`)).status]).toEqual([q, 200]);
    });
  });
});
