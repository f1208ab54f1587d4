// The operations HTTP server (node:http, no framework): Prometheus metrics, liveness/readiness, a JSON API,
// Server-Sent Events and the dashboard (static files from ops/dashboard/, lightweight-charts from node_modules).
// Every request passes a size check, a Host allowlist (against DNS rebinding) and a per-IP rate limit.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AddressInfo, Socket } from "node:net";
import type { TickflowMetrics } from "./metrics.ts";
import type { FeedEvent, LiveFeed } from "./liveFeed.ts";
import { checkReadiness, type ReadinessProbe } from "./readiness.ts";
import { KeyedRateLimiter } from "./rateLimiter.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { checkHttpHost, LOOPBACK_HTTP_HOSTS, splitHost } from "../io/httpHosts.ts";
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

/** Longest request URL served; longer gets 414. */
export const MAX_URL_BYTES = 8 * 1024;
const URL_TOO_LONG = `request URL longer than ${MAX_URL_BYTES} bytes; every endpoint takes at most a short query (/api/signals?limit=N)`;
/** Largest request head (request line and headers) Node parses; larger gets 431 (414 when the URL alone is too long). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Default per-IP buckets: generous for scrapes and probes, which come every few seconds, and apart from the API. */
export const DEFAULT_RATE_LIMITS = {
  /** /api/*, /events, the dashboard and unknown paths. */
  api: { capacity: 60, refillPerSecond: 20 },
  /** /metrics: a Prometheus scrape every second uses a tenth of it. */
  metrics: { capacity: 20, refillPerSecond: 10 },
  /** /healthz and /readyz together: kubelet liveness, readiness and startup probes every second use a tenth. */
  probes: { capacity: 30, refillPerSecond: 10 },
} as const;

/** One per-IP limiter per class of endpoint, so a busy dashboard never starves a scrape or a probe. */
export interface OpsRateLimiters {
  /** Default: bursts of 60, 20 requests/s. */
  readonly api?: KeyedRateLimiter;
  /** Default: bursts of 20, 10 requests/s. */
  readonly metrics?: KeyedRateLimiter;
  /** Default: bursts of 30, 10 requests/s. */
  readonly probes?: KeyedRateLimiter;
}

/** URL path → file and content type. A fixed table: nothing else on disk is reachable. */
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: join(DASHBOARD_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/dashboard.js": { file: join(DASHBOARD_DIR, "dashboard.js"), type: "text/javascript; charset=utf-8" },
  "/dashboard.css": { file: join(DASHBOARD_DIR, "dashboard.css"), type: "text/css; charset=utf-8" },
  "/vendor/lightweight-charts.js": { file: LIGHTWEIGHT_CHARTS, type: "text/javascript; charset=utf-8" },
  // Browsers ask for /favicon.ico whatever the page links; both names get the SVG icon.
  "/favicon.svg": { file: join(DASHBOARD_DIR, "favicon.svg"), type: "image/svg+xml" },
  "/favicon.ico": { file: join(DASHBOARD_DIR, "favicon.svg"), type: "image/svg+xml" },
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
  /**
   * Host names answered besides localhost, 127.0.0.1, [::1] and `host` (TICKFLOW_HTTP_HOSTS): `name` (with the server's
   * port or without) or `name:port` (exactly). Validated at start. Default: none.
   */
  readonly allowedHosts?: readonly string[];
  /** Per client IP, every endpoint. Defaults: DEFAULT_RATE_LIMITS. */
  readonly rateLimiters?: OpsRateLimiters;
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

const isWildcard = (host: string): boolean => host === "0.0.0.0" || host === "::" || host === "";

/** The Host header values the server answers to, once its port is known. */
function hostAllowlist(names: readonly string[], port: number): ReadonlySet<string> {
  const allowed = new Set<string>();
  for (const entry of names) {
    const h = splitHost(entry)!;
    if (h.port !== undefined) allowed.add(`${h.name}:${h.port}`);
    else allowed.add(h.name).add(`${h.name}:${port}`);
  }
  return allowed;
}

/** Answers a request Node refused to parse: an oversized head gets 431 (414 when the request line alone is too long). */
function refuseUnparsed(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
  if (err.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
  const head = err.rawPacket;
  const lineEnd = head ? head.indexOf("\r\n") : -1;
  const [status, reason, error] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? head && (lineEnd === -1 ? head.length : lineEnd) > MAX_URL_BYTES
        ? [414, "URI Too Long", URL_TOO_LONG]
        : [431, "Request Header Fields Too Large", `request headers larger than ${MAX_HEADER_BYTES} bytes in all; send fewer or smaller headers (cookies)`]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "the request head did not arrive in time"]
        : [400, "Bad Request", `malformed HTTP request (${err.code ?? err.message})`];
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const host = o.host ?? "127.0.0.1";
  const names = [
    ...new Set([
      ...LOOPBACK_HTTP_HOSTS,
      ...(isWildcard(host) ? [] : [host.includes(":") ? `[${host}]` : host]), // the printed URL must work
      ...(o.allowedHosts ?? []).map((h) => checkHttpHost(h, "allowedHosts (TICKFLOW_HTTP_HOSTS)")),
    ]),
  ];
  let allowed: ReadonlySet<string> = new Set(); // filled once listening, when the port is known
  const limiters = {
    api: o.rateLimiters?.api ?? new KeyedRateLimiter(DEFAULT_RATE_LIMITS.api),
    metrics: o.rateLimiters?.metrics ?? new KeyedRateLimiter(DEFAULT_RATE_LIMITS.metrics),
    probes: o.rateLimiters?.probes ?? new KeyedRateLimiter(DEFAULT_RATE_LIMITS.probes),
  };
  const sse = new Set<ServerResponse>();
  const fileCache = new Map<string, Buffer>();

  const sendEvent = (res: ServerResponse, event: string, data: unknown): void => {
    // A client that does not read is dropped rather than buffered without bound.
    if (res.writableLength > 1 << 20) return void res.destroy();
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const unsubscribe = o.feed.subscribe((e: FeedEvent) => {
    if (sse.size === 0) return;
    const { type, ...rest } = e;
    // The first three kept their payload shape from before the other events existed.
    const data = e.type === "signal" ? e.signal : e.type === "price" ? e.point : e.type === "deadLetter" ? e.letter : rest;
    for (const res of sse) sendEvent(res, type, data);
  });
  const ticker = setInterval(() => {
    if (sse.size === 0) return;
    const status = o.status();
    for (const res of sse) sendEvent(res, "status", status);
  }, o.countersEveryMs ?? 1000);
  ticker.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (Buffer.byteLength(req.url ?? "") > MAX_URL_BYTES) return json(res, 414, { error: URL_TOO_LONG });
    const hostHeader = req.headers.host;
    if (hostHeader === undefined || !allowed.has(hostHeader.toLowerCase()))
      return json(res, 421, {
        error:
          hostHeader === undefined
            ? "the request has no Host header; this server answers only to the names below"
            : `Host ${JSON.stringify(hostHeader)} is not a name this server answers to (a guard against DNS rebinding)`,
        allowedHosts: names,
        howToAdd: "to reach it under another name, add the name to TICKFLOW_HTTP_HOSTS (comma-separated, e.g. TICKFLOW_HTTP_HOSTS=dash.internal) and restart",
      });
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (req.method !== "GET" && req.method !== "HEAD")
      return json(res, 405, { error: `${req.method} is not allowed; every endpoint is GET` }, { allow: "GET, HEAD" });
    const bucket = path === "/metrics" ? "metrics" : path === "/healthz" || path === "/readyz" ? "probes" : "api";
    const client = req.socket.remoteAddress ?? "unknown";
    const decision = limiters[bucket].take(client);
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      return json(res, 429, { error: `rate limit exceeded for ${client} (${bucket} bucket); retry after ${seconds} s` }, { "retry-after": String(seconds) });
    }
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
    if (path === "/api/candles") return json(res, 200, { symbols: o.feed.candles() });
    if (path === "/api/trading") return json(res, 200, o.feed.tradingState());
    if (path === "/api/news") return json(res, 200, { news: o.feed.news() });
    if (path === "/api/graph") {
      const status = o.status();
      return json(res, 200, { ...o.feed.graph(), lagSeconds: status.lagSeconds ?? null, models: status.models ?? null });
    }
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
    json(res, 404, {
      error: `no endpoint ${path}; see /, /metrics, /healthz, /readyz, /api/status, /api/signals?limit=N, /api/prices, /api/candles, /api/trading, /api/news, /api/graph, /api/dead-letters, /events`,
    });
  };

  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  });
  server.on("clientError", refuseUnparsed);
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
  allowed = hostAllowlist(names, port);
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
