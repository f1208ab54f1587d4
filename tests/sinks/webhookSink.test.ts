// The webhook sink against a real node:http server on 127.0.0.1: the exact payload and headers, retries under one
// Idempotency-Key (503, timeouts, Retry-After), a 4xx failing at once, load errors, and a parsed pipeline run by
// the run driver as a user would run it.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { CONNECTORS } from "../../app/connectors.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { WATERMARK_END } from "../../core/chunk.ts";
import { openOutputs, Services } from "../../runtime/connectors.ts";
import { CollectingOutput, MemoryInput } from "../../runtime/memoryInput.ts";
import { RunDriver } from "../../runtime/runDriver.ts";
import { SignalMessage, type Signal } from "../../schemas/signal.ts";
import { WebhookDeliveryError, WebhookOutputSink, type WebhookOptions } from "../../sinks/webhookSink.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";
import { join } from "node:path";
import { Database } from "../../io/duckdb/database.ts";
import { DuckDbCheckpointStore } from "../../replay/checkpoints.ts";
import { tempDir } from "../helpers/duckdb.ts";

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the write under test had already resolved when this request arrived. */
  readonly writeResolved: boolean;
}

/** What the server does with request `n` (0-based); it may leave the response unanswered. */
type Respond = (n: number, res: ServerResponse, req: Received) => void;

/** A node:http server on 127.0.0.1 at a free port, closed (open connections too) after `fn`. */
async function withServer<T>(respond: Respond, fn: (url: string, received: Received[], state: { resolved: boolean }) => Promise<T>): Promise<T> {
  const received: Received[] = [];
  const state = { resolved: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const r: Received = { method: req.method!, path: req.url!, headers: req.headers, body, writeResolved: state.resolved };
      received.push(r);
      respond(received.length - 1, res, r);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  try {
    return await fn(`http://127.0.0.1:${port}/hook`, received, state);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const ok: Respond = (_n, res) => res.writeHead(204).end();

function signal(i: number): Signal {
  return SignalMessage.create({
    id: `p:signals:ORCL:${i}`,
    pipeline: "p",
    symbol: "ORCL",
    tsEvent: BigInt(i) * 1_000_000_000n,
    action: i % 2 ? "buy" : "sell",
    strength: 0.5,
    reason: `test ${i}`,
    inputs: { rsi: 40 + i },
  });
}

const sink = (url: string, o: Partial<WebhookOptions> = {}) =>
  new WebhookOutputSink({ url, headers: { Authorization: "Bearer x" }, timeoutMs: 2000, attempts: 5, batchSize: 500, runId: "run-1", ...o });

/** Writes, marking `state.resolved` when the write's promise settles, so the server can see the order. */
async function write(s: WebhookOutputSink, state: { resolved: boolean }, items: readonly Signal[], firstSeq = 0n): Promise<void> {
  try {
    await s.write("signals", "signal", items, firstSeq);
  } finally {
    state.resolved = true;
  }
}

describe("webhook sink: requests", () => {
  it("POSTs { run, node, kind, firstSeq, items } in chunks of batchSize, each with its own Idempotency-Key", async () => {
    await withServer(ok, async (url, received, state) => {
      const items = [signal(1), signal(2), signal(3)];
      await write(sink(url, { batchSize: 2 }), state, items, 10n);
      expect(received).toHaveLength(2);
      expect(received.map((r) => [r.method, r.path])).toEqual([
        ["POST", "/hook"],
        ["POST", "/hook"],
      ]);
      expect(JSON.parse(received[0]!.body)).toEqual({
        run: "run-1",
        node: "signals",
        kind: "signal",
        firstSeq: "10",
        items: [SignalMessage.encode(items[0]!), SignalMessage.encode(items[1]!)],
      });
      expect(JSON.parse(received[1]!.body)).toEqual({
        run: "run-1",
        node: "signals",
        kind: "signal",
        firstSeq: "12",
        items: [SignalMessage.encode(items[2]!)],
      });
      // The wire JSON exactly: key order, the timestamp as a decimal string.
      expect(received[1]!.body).toBe(
        `{"run":"run-1","node":"signals","kind":"signal","firstSeq":"12","items":[${JSON.stringify(SignalMessage.encode(items[2]!))}]}`,
      );
      expect(received[0]!.headers).toMatchObject({ "content-type": "application/json", authorization: "Bearer x", "idempotency-key": "run-1:signals:10" });
      expect(received[1]!.headers["idempotency-key"]).toBe("run-1:signals:12");
    });
  });

  it("503 twice, then 200: three attempts under one key, one delivery, and the write resolves only after the success", async () => {
    const delivered = new Set<string>();
    const respond: Respond = (n, res, req) => {
      if (n < 2) return void res.writeHead(503).end("busy");
      delivered.add(String(req.headers["idempotency-key"]));
      res.writeHead(200).end("ok");
    };
    await withServer(respond, async (url, received, state) => {
      await write(sink(url), state, [signal(1)], 7n);
      expect(received.map((r) => r.headers["idempotency-key"])).toEqual(["run-1:signals:7", "run-1:signals:7", "run-1:signals:7"]);
      expect(received.every((r) => r.body === received[0]!.body)).toBe(true);
      expect(received.map((r) => r.writeResolved)).toEqual([false, false, false]);
      expect([...delivered]).toEqual(["run-1:signals:7"]);
      expect(state.resolved).toBe(true);
    });
  });

  it("honours Retry-After on 429 (as a floor under the backoff)", async () => {
    const waits: number[] = [];
    await withServer(
      (n, res) => (n === 0 ? res.writeHead(429, { "Retry-After": "2" }).end() : res.writeHead(200).end()),
      async (url, received, state) => {
        await write(sink(url, { sleep: async (ms) => void waits.push(ms) }), state, [signal(1)]);
        expect(received).toHaveLength(2);
        expect(waits).toEqual([2000]);
      },
    );
  });

  it("a 400 fails at once: the error names the url, the status and the first 200 bytes of the body", async () => {
    const body = `${"x".repeat(200)}TAIL`;
    await withServer(
      (_n, res) => res.writeHead(400, { "Content-Type": "text/plain" }).end(body),
      async (url, received, state) => {
        const err = await write(sink(url), state, [signal(1)]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WebhookDeliveryError);
        const msg = (err as Error).message;
        expect(msg).toContain(`webhook ${url} refused 1 signal item(s) of node signals (run run-1, first seq 0): HTTP 400 Bad Request: "${"x".repeat(200)}…"`);
        expect(msg).not.toContain("TAIL");
        expect(msg).toMatch(/not retried \(only network errors, timeouts, 5xx and 429 are\): fix the receiver/);
        expect(received).toHaveLength(1);
      },
    );
  });

  it("a request that times out is retried under the same key", async () => {
    // The first request is never answered.
    await withServer(
      (n, res) => (n === 0 ? undefined : res.writeHead(200).end()),
      async (url, received, state) => {
        await write(sink(url, { timeoutMs: 200 }), state, [signal(1)], 3n);
        expect(received.map((r) => r.headers["idempotency-key"])).toEqual(["run-1:signals:3", "run-1:signals:3"]);
      },
    );
  });

  it("gives up after `attempts` failures, saying how many, the last error and what to do", async () => {
    await withServer(
      (_n, res) => res.writeHead(502).end("bad gateway"),
      async (url, received, state) => {
        const err = await write(sink(url, { attempts: 3, sleep: async () => undefined }), state, [signal(1)]).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(
          /not delivered after 3 attempt\(s\), last: HTTP 502 Bad Gateway: "bad gateway"; the batch is not committed: check that the receiver is up/,
        );
        expect(received).toHaveLength(3);
      },
    );
  });

  it("retries a refused connection (nothing listening on the port)", async () => {
    const url = await withServer(ok, async (u) => u); // closed again: its port now refuses connections
    const err = await write(sink(url, { attempts: 2, sleep: async () => undefined }), { resolved: false }, [signal(1)]).catch((e: unknown) => e);
    expect((err as WebhookDeliveryError).attempts).toBe(2);
    expect((err as Error).message).toMatch(/not delivered after 2 attempt\(s\), last: fetch failed \(ECONNREFUSED\)/);
  });
});

describe("webhook sink: declaration", () => {
  const load = (params: string) => () =>
    parsePipeline(
      `name: hooks\nsources:\n  bars: { type: bar }\nnodes:\n  rows: { op: indicators, in: bars, params: { set: [{ id: rsi, name: rsi, period: 2 }] } }\nsinks:\n  - type: webhook\n    in: rows\n    params: ${params}\n`,
      "hooks.yaml",
    );

  it("refuses a url that is not http(s), and bad params, naming the file, the line and the sink's example", () => {
    expect(load(`{ url: "ftp://127.0.0.1/hook" }`)).toThrow(
      /^hooks\.yaml:9:\d+: at sinks\.0\.params\.url: must be an http:\/\/ or https:\/\/ URL.*\(sink webhook; example: \{ type: webhook, in: signals, params: \{ url: "http:\/\/127\.0\.0\.1:8080\/hook"/,
    );
    expect(load(`{ url: "not a url" }`)).toThrow(/at sinks\.0\.params\.url: must be an http/);
    expect(load(`{ url: "http://127.0.0.1/hook", attempts: 11 }`)).toThrow(/^hooks\.yaml:9:\d+: at sinks\.0\.params\.attempts: .*10/);
    expect(load(`{ url: "http://127.0.0.1/hook", timeout: 5 }`)).toThrow(/at sinks\.0\.params\.timeout: /);
    expect(load(`{ url: "http://127.0.0.1/hook", timeout: "5 seconds" }`)).toThrow(/at sinks\.0\.params\.timeout: must be a duration like 500ms/);
    expect(load(`{ url: "http://127.0.0.1/hook", timeout: "0ms" }`)).toThrow(/at sinks\.0\.params\.timeout: must be at least 1ms/);
    expect(load(`{ url: "http://127.0.0.1/hook", retries: 3 }`)).toThrow(/at sinks\.0\.params\.retries: unknown key "retries"/);
    expect(load(`{ url: "http://127.0.0.1/hook", headers: { Content-Type: text/plain } }`)).toThrow(
      /at sinks\.0\.params\.headers\.Content-Type: .*set by the sink/,
    );
    expect(load(`{ url: "http://127.0.0.1/hook" }`)).not.toThrow();
  });

  it("runs in live runs only: a replay or a check calls nobody", () => {
    const p = load(`{ url: "http://127.0.0.1:9/hook" }`)();
    expect(p.sinks[0]!.params).toEqual({ url: "http://127.0.0.1:9/hook", headers: {}, timeout: "5s", attempts: 5, batchSize: 500 });
    expect(openOutputs(p, CONNECTORS, "replay", "r", new Services())).toEqual([]);
    expect(openOutputs(p, CONNECTORS, "check", "r", new Services())).toEqual([]);
    expect(openOutputs(p, CONNECTORS, "live", "r", new Services()).map((o) => [o.port.name, o.port.stage, o.node])).toEqual([["webhook", "effect", "rows"]]);
  });
});

describe("webhook sink: in a parsed pipeline run by the run driver", () => {
  it("delivers every signal the pipeline emits, in order, each request once, the keys numbering the node's items", async () => {
    const deliveries = new Map<string, number>();
    await withServer(
      (n, res, req) => {
        // A flaky receiver: every third request is a 503 first; the retry carries the same key.
        if (n % 3 === 1) return void res.writeHead(503).end();
        const { firstSeq } = JSON.parse(req.body) as { firstSeq: string };
        deliveries.set(firstSeq, (deliveries.get(firstSeq) ?? 0) + 1);
        res.writeHead(200).end();
      },
      async (url, received) => {
        const p = parsePipeline(`name: hooked
sources:
  bars: { type: bar }
nodes:
  rows: { op: indicators, in: bars, params: { set: [{ id: emaFast, name: ema, period: 2 }, { id: emaSlow, name: ema, period: 3 }, { id: rsi, name: rsi, period: 2 }] } }
  signals: { op: momentumRule, in: rows, params: { emit: every, overbought: 100, oversold: 0 } }
sinks:
  - { type: webhook, in: signals, params: { url: "${url}", headers: { Authorization: "Bearer x" }, batchSize: 4 } }
`);
        const collected = new CollectingOutput();
        const driver = new RunDriver({
          pipeline: p,
          runId: "hooked-1",
          mode: "live",
          input: MemoryInput.chunked(orclBars().slice(0, 40), 10, WATERMARK_END),
          outputs: [...openOutputs(p, CONNECTORS, "live", "hooked-1", new Services()), { port: collected, node: "signals" }],
        });
        await driver.execute();
        const signals = collected.get<Signal>("signals");
        expect(signals.length).toBeGreaterThan(10);
        const ok = received.filter((_r, n) => n % 3 !== 1);
        const posted = ok.flatMap((r) => (JSON.parse(r.body) as { items: unknown[] }).items);
        expect(posted).toEqual(signals.map((s) => SignalMessage.encode(s)));
        expect([...deliveries.values()].every((c) => c === 1)).toBe(true);
        expect(ok.map((r) => r.headers["idempotency-key"])).toEqual(ok.map((r) => `hooked-1:signals:${(JSON.parse(r.body) as { firstSeq: string }).firstSeq}`));
        expect(ok.every((r) => r.headers.authorization === "Bearer x")).toBe(true);
      },
    );
  });
});

describe("webhook sink: through the outbox of a checkpointed run", () => {
  const PIPELINE = (url: string): string => `name: hooked
sources:
  bars: { type: bar }
nodes:
  rows: { op: indicators, in: bars, params: { set: [{ id: emaFast, name: ema, period: 2 }, { id: emaSlow, name: ema, period: 3 }, { id: rsi, name: rsi, period: 2 }] } }
  signals: { op: momentumRule, in: rows, params: { emit: every, overbought: 100, oversold: 0 } }
sinks:
  - { type: webhook, in: signals, params: { url: "${url}", attempts: 1, batchSize: 4 } }
`;

  it("a chunk the receiver refused after the commit is POSTed from the outbox when the run starts again, under the same key", async () => {
    const { dir, cleanup } = tempDir();
    const db = await Database.open(join(dir, "rec.duckdb"));
    try {
      let down = true;
      await withServer(
        (_n, res) => res.writeHead(down ? 503 : 200).end(),
        async (url, received) => {
          const p = parsePipeline(PIPELINE(url));
          const driver = (input: MemoryInput) =>
            new RunDriver({
              pipeline: p,
              runId: "hooked-2",
              mode: "live",
              input,
              outputs: openOutputs(p, CONNECTORS, "live", "hooked-2", new Services()),
              checkpoints: new DuckDbCheckpointStore(db),
            });
          // The first batch's signals are recorded in the outbox with its checkpoint; the POST then fails the run.
          await expect(driver(MemoryInput.chunked(orclBars().slice(0, 10), 10, orclBars()[10]!.tsEvent)).execute()).rejects.toBeInstanceOf(
            WebhookDeliveryError,
          );
          const refused = received.map((r) => r.headers["idempotency-key"]);
          expect(refused).toHaveLength(1);
          const [held] = await db.query<{ n: bigint }>("SELECT count(*) n FROM outbox WHERE run_id = 'hooked-2'");
          expect(Number(held!.n)).toBeGreaterThan(0);
          // Started again (nothing new to read): the outbox goes out first, every chunk under its recorded key.
          down = false;
          await driver(MemoryInput.of([])).execute();
          const resent = received.slice(1).map((r) => r.headers["idempotency-key"]);
          expect(resent[0]).toBe(refused[0]);
          expect(resent).toHaveLength(Number(held!.n));
          expect(new Set(resent).size).toBe(resent.length);
          const [left] = await db.query<{ n: bigint }>("SELECT count(*) n FROM outbox WHERE run_id = 'hooked-2'");
          expect(left!.n).toBe(0n);
        },
      );
    } finally {
      await db.close();
      cleanup();
    }
  });
});
