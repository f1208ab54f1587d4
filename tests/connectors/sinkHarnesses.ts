// The conformance harness of every built-in sink: the real target it writes to (nats-server with the tickflow
// streams, a DuckDB file, an HTTP receiver on 127.0.0.1, a console line list) and how to read back what it holds.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { expect } from "vitest";
import { Database } from "../../io/duckdb/database.ts";
import { startNats } from "../helpers/nats.ts";
import { Services } from "../../runtime/connectors.ts";
import { SignalMessage, type Signal } from "../../schemas/signal.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { PRINT, PUBLISHER, RECORDER } from "../../sinks/outputSinks.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { within, type SinkHarness, type SinkTarget } from "./harness.ts";

/** The node every sink harness pipeline feeds its sink from (see conformance.test.ts). */
export const SINK_NODE = "signals";

const signals = (items: readonly unknown[]): Signal[] => items as Signal[];
const wire = (s: Signal): string => JSON.stringify(SignalMessage.encode(s));

// --- nats: the SIGNALS stream of a real nats-server ------------------------------------------------------------

interface Stored {
  readonly subject: string;
  readonly data: string;
  readonly msgId?: string;
  readonly run?: string;
}

async function startNatsTarget(): Promise<SinkTarget> {
  // Fast reconnect attempts: the failure case stops the server under an open connection.
  const { server, nc: conn } = await startNats({ reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  // A short timeout and two attempts, so a publish to a stopped server fails within the suite's bounds.
  const publisher = new JetStreamPublisher(conn, { timeoutMs: 500, attempts: 2 });
  const stored = async (): Promise<Stored[]> => {
    const jsm = await jetstreamManager(conn);
    const n = (await jsm.streams.info("SIGNALS")).state.messages;
    if (n === 0) return [];
    // An ordered consumer reads the stream from its first message, as any subscriber would.
    const consumer = await jetstream(conn).consumers.get("SIGNALS");
    const out: Stored[] = [];
    const it = await consumer.fetch({ max_messages: n, expires: 5000 });
    for await (const m of it) {
      out.push({ subject: m.subject, data: m.string(), msgId: m.headers?.get("Nats-Msg-Id"), run: m.headers?.get("Tickflow-Run") });
      if (out.length === n) break;
    }
    expect(out, "an ordered consumer fetch returns every message the stream info counts").toHaveLength(n);
    return out;
  };
  return {
    params: {},
    services: new Services().provide(PUBLISHER, publisher),
    held: async () => (await stored()).map((m) => SignalMessage.decodeBytes(m.data, `SIGNALS ${m.subject}`)),
    async checkWire(items, _firstSeq, runId) {
      const got = await stored();
      expect(got.map((m) => m.subject)).toEqual(signals(items).map((s) => `signals.${s.symbol}`));
      expect(got.map((m) => m.data)).toEqual(signals(items).map(wire));
      // The item id is the Nats-Msg-Id: the stream's duplicate window drops a second publish of it.
      expect(got.map((m) => m.msgId)).toEqual(signals(items).map((s) => s.id));
      expect(new Set(got.map((m) => m.run))).toEqual(new Set([runId]));
    },
    async breakTarget() {
      await server.stop();
    },
    async close() {
      await within(conn.close(), 5000, "closing the NATS connection").catch(() => undefined);
      await server.stop();
    },
  };
}

// --- duckdb: a real DuckDB file --------------------------------------------------------------------------------

async function startDuckDbTarget(): Promise<SinkTarget> {
  const tmp = tempDir("tickflow-conformance-duckdb-");
  const db = await Database.open(join(tmp.dir, "sink.duckdb"));
  const select = SignalMessage.columns.map((c) => (c.type === "TIMESTAMP_NS" ? `epoch_ns("${c.name}") AS "${c.name}"` : `"${c.name}"`)).join(", ");
  const rows = async (): Promise<Record<string, unknown>[]> => {
    const [t] = await db.query<{ n: bigint }>("SELECT count(*) n FROM information_schema.tables WHERE table_name = 'signals'");
    if (t!.n === 0n) return [];
    return db.query<Record<string, unknown>>(`SELECT run_id, node, out_seq, ${select} FROM signals ORDER BY run_id, node, out_seq`);
  };
  return {
    params: {},
    services: new Services().provide(RECORDER, new DuckDbRecorder(db)),
    held: async () => (await rows()).map((r) => SignalMessage.fromRow(SignalMessage.columns.map((c) => r[c.name]))),
    async checkWire(items, firstSeq, runId) {
      const got = await rows();
      // One row per item, keyed by run, node and id, numbered in emission order from firstSeq.
      expect(got.map((r) => [r.run_id, r.node, r.out_seq])).toEqual(items.map((_x, i) => [runId, SINK_NODE, firstSeq + BigInt(i)]));
      expect(got.map((r) => r.id)).toEqual(signals(items).map((s) => s.id));
    },
    async breakTarget() {
      await db.close();
    },
    async close() {
      await db.close();
      tmp.cleanup();
    },
  };
}

// --- console: the lines printed ---------------------------------------------------------------------------------

async function startConsoleTarget(): Promise<SinkTarget> {
  const lines: string[] = [];
  let broken = false;
  const print = (line: string): void => {
    // What a closed stdout pipe does to console.log: the write throws (EPIPE).
    if (broken) throw Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    lines.push(line);
  };
  return {
    params: { format: "json" },
    services: new Services().provide(PRINT, print),
    held: async () => lines.map((l, i) => SignalMessage.decodeBytes(l, `console line ${i + 1}`)),
    async checkWire(items) {
      expect(lines).toEqual(signals(items).map(wire));
    },
    async breakTarget() {
      broken = true;
    },
    async close() {},
  };
}

// --- webhook: a node:http receiver on 127.0.0.1 that dedupes by Idempotency-Key ----------------------------------

interface Request {
  readonly key: string;
  readonly body: { run: string; node: string; kind: string; firstSeq: string; items: unknown[] };
}

const WEBHOOK_BATCH = 64;

async function startWebhookTarget(): Promise<SinkTarget> {
  const requests: Request[] = [];
  let failing = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (failing) return void res.writeHead(500).end("receiver down");
      requests.push({ key: String(req.headers["idempotency-key"]), body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Request["body"] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  /** What a receiver that dedupes by key keeps: the first request of each key. */
  const kept = (): Request[] => {
    const seen = new Set<string>();
    return requests.filter((r) => !seen.has(r.key) && seen.add(r.key));
  };
  return {
    params: { url: `http://127.0.0.1:${port}/hook`, attempts: 2, timeout: "2s", batchSize: WEBHOOK_BATCH },
    services: new Services(),
    held: async () => kept().flatMap((r) => r.body.items.map((x, i) => SignalMessage.decode(x, `request ${r.key} item ${i}`))),
    async checkWire(items, firstSeq, runId) {
      const got = kept();
      const want = [];
      for (let i = 0; i < items.length; i += WEBHOOK_BATCH) {
        const seq = firstSeq + BigInt(i);
        want.push({
          key: `${runId}:${SINK_NODE}:${seq}`,
          body: {
            run: runId,
            node: SINK_NODE,
            kind: "signal",
            firstSeq: String(seq),
            items: signals(items.slice(i, i + WEBHOOK_BATCH)).map((s) => SignalMessage.encode(s)),
          },
        });
      }
      expect(got).toEqual(want);
    },
    deliveryKeys: () => requests.map((r) => r.key),
    async breakTarget() {
      failing = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const SINK_HARNESSES: readonly SinkHarness[] = [
  {
    type: "nats",
    start: startNatsTarget,
    idempotent: "every message carries its item id as Nats-Msg-Id; the stream's duplicate window stores a second publish once",
  },
  { type: "duckdb", start: startDuckDbTarget, idempotent: "rows go in with INSERT OR IGNORE on the table's key (run_id, node, id)" },
  {
    type: "console",
    start: startConsoleTarget,
    idempotent: { notApplicable: "console is an observer: it prints what it is given, again on a retry; it records and announces nothing" },
  },
  {
    type: "webhook",
    start: startWebhookTarget,
    idempotent: "a retried chunk carries the same Idempotency-Key <run>:<node>:<firstSeq>, which the receiver dedupes by",
  },
];
