// The operations HTTP server (node:http, no framework): Prometheus metrics, liveness/readiness, a JSON API,
// Server-Sent Events and the live dashboard (static files from ops/dashboard/, lightweight-charts from node_modules).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import type { TickflowMetrics } from "./metrics.ts";
import type { FeedEvent, LiveFeed } from "./liveFeed.ts";
import { checkReadiness, type ReadinessProbe } from "./readiness.ts";
import { KeyedRateLimiter } from "./rateLimiter.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { TickflowError } from "../core/errors.ts";

export const DEFAULT_HTTP_PORT = 9464;

/** The HTTP port is taken by another process: pass another `--http-port`, or 0 for none. */
export class HttpPortInUseError extends TickflowError {
  static override readonly code = "HTTP_PORT_IN_USE";
  override readonly name = "HttpPortInUseError";
}

const DASHBOARD_DIR = join(PACKAGE_ROOT, "ops", "dashboard");
const LIGHTWEIGHT_CHARTS = join(
  dirname(createRequire(import.meta.url).resolve("lightweight-charts/package.json")),
  "dist",
  "lightweight-charts.standalone.production.js",
);

/** URL path → file and content type. A fixed table: nothing else on disk is reachable. */
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: join(DASHBOARD_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/dashboard.js": { file: join(DASHBOARD_DIR, "dashboard.js"), type: "text/javascript; charset=utf-8" },
  "/dashboard.css": { file: join(DASHBOARD_DIR, "dashboard.css"), type: "text/css; charset=utf-8" },
  "/vendor/lightweight-charts.js": { file: LIGHTWEIGHT_CHARTS, type: "text/javascript; charset=utf-8" },
};

/** /api/status: what the run is and how far it got. */
export type StatusJson = Record<string, unknown>;

export interface OpsServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Default 127.0.0.1: the dashboard is not exposed beyond the host unless asked. */
  readonly host?: string;
  readonly metrics: TickflowMetrics;
  readonly feed: LiveFeed;
  readonly status: () => StatusJson;
  readonly readiness: readonly ReadinessProbe[];
  /** Per client IP for everything but /metrics, /healthz and /readyz. Default: bursts of 60, 20 requests/s. */
  readonly rateLimiter?: KeyedRateLimiter;
  /** How often /events pushes counters. Default 1000 ms. */
  readonly countersEveryMs?: number;
  /** Most concurrent /events clients. Default 32. */
  readonly maxEventClients?: number;
}

export interface OpsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
};

export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const limiter = o.rateLimiter ?? new KeyedRateLimiter({ capacity: 60, refillPerSecond: 20 });
  const sse = new Set<ServerResponse>();
  const fileCache = new Map<string, Buffer>();

  const sendEvent = (res: ServerResponse, event: string, data: unknown): void => {
    // A client that does not read is dropped rather than buffered without bound.
    if (res.writableLength > 1 << 20) return void res.destroy();
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const unsubscribe = o.feed.subscribe((e: FeedEvent) => {
    const data = e.type === "signal" ? e.signal : e.type === "price" ? e.point : e.letter;
    for (const res of sse) sendEvent(res, e.type, data);
  });
  const ticker = setInterval(() => {
    if (sse.size === 0) return;
    const status = o.status();
    for (const res of sse) sendEvent(res, "status", status);
  }, o.countersEveryMs ?? 1000);
  ticker.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (req.method !== "GET" && req.method !== "HEAD")
      return json(res, 405, { error: `${req.method} is not allowed; every endpoint is GET` }, { allow: "GET, HEAD" });
    if (path === "/healthz") return json(res, 200, { status: "ok" });
    if (path === "/readyz") {
      const r = await checkReadiness(o.readiness);
      return json(res, r.ready ? 200 : 503, r);
    }
    if (path === "/metrics") {
      const text = await o.metrics.text();
      res.writeHead(200, { "content-type": o.metrics.contentType });
      return void res.end(text);
    }
    const decision = limiter.take(req.socket.remoteAddress ?? "unknown");
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      return json(res, 429, { error: `rate limit exceeded for ${req.socket.remoteAddress}; retry after ${seconds} s` }, { "retry-after": String(seconds) });
    }
    if (path === "/api/status") return json(res, 200, o.status());
    if (path === "/api/signals") {
      const raw = url.searchParams.get("limit");
      const limit = raw === null ? 50 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        return json(res, 400, { error: `limit must be an integer from 1 to 500, got ${JSON.stringify(raw)}` });
      return json(res, 200, { signals: o.feed.latestSignals(limit) });
    }
    if (path === "/api/prices") return json(res, 200, { prices: o.feed.priceSeries() });
    if (path === "/api/dead-letters") return json(res, 200, { deadLetters: o.feed.latestDeadLetters(100) });
    if (path === "/events") {
      if (sse.size >= (o.maxEventClients ?? 32)) return json(res, 503, { error: "too many /events clients; close a dashboard tab" });
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
      res.write(`retry: 2000\n\n`);
      sse.add(res);
      sendEvent(res, "status", o.status());
      req.on("close", () => sse.delete(res));
      return;
    }
    const asset = STATIC[path];
    if (asset) {
      let body = fileCache.get(asset.file);
      if (!body) fileCache.set(asset.file, (body = await readFile(asset.file)));
      res.writeHead(200, { "content-type": asset.type, "content-length": body.length, "cache-control": path === "/" ? "no-store" : "max-age=300" });
      return void res.end(req.method === "HEAD" ? undefined : body);
    }
    json(res, 404, { error: `no endpoint ${path}; see /, /metrics, /healthz, /readyz, /api/status, /api/signals?limit=N, /events` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  });
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new HttpPortInUseError(`HTTP port ${o.port} on ${host} is in use; pass --http-port with another port (or 0 to turn the dashboard off)`, {
              cause: e,
            })
          : e,
      ),
    );
    server.listen(o.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    port,
    async close() {
      clearInterval(ticker);
      unsubscribe();
      for (const res of sse) res.end();
      sse.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
