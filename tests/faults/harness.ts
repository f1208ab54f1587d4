// The fault suite's harness: a "world" is one real nats-server (its own store) and one DuckDB file with the same
// seeded feed published; `tickflow run` runs in it as a process (compiled dist/, as a user runs it) that the suite
// kills, stops and restarts. A faulted world is compared with a reference world that ran the same feed without a
// fault: the run's digest, every recorded output row, and every message on the SIGNALS and ORDERS streams.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import { freePort } from "../../io/nats/natsServer.ts";
import { Database } from "../../io/duckdb/database.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");
export const FAULT_PIPELINE = join(import.meta.dirname, "fault-trading.yaml");
/** What the suite compares: the pipeline's recorded output tables and its published streams. */
export const OUTPUT_TABLES = ["out_bars", "signals", "orders", "fills", "equity"] as const;
export const PUBLISHED_STREAMS = ["SIGNALS", "ORDERS"] as const;

/** `full` (npm run test:faults) or the CI-sized default that runs inside npm test. */
export const FULL = process.env.TICKFLOW_FAULTS === "full";

export interface FeedSpec {
  readonly count: number;
  readonly seed: number;
  readonly symbols: readonly string[];
  /** Per symbol: fewer trades per second of event time give more bars (and signals) per message. */
  readonly tradesPerSecond: number;
}

export interface World {
  readonly nats: NatsFixture;
  readonly dir: string;
  readonly dbPath: string;
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** The feed's messages, in publishing order. */
export function feedMessages(feed: FeedSpec): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const m of simulate({ symbols: [...feed.symbols], seed: feed.seed, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: feed.tradesPerSecond })) {
    out.push(toOutgoing(m));
    if (out.length === feed.count) break;
  }
  return out;
}

/**
 * A fresh server and recording with `feed` stored on the MARKET and NEWS streams; `inject(feed)` may return the
 * messages to publish instead (the feed with poison in it).
 */
export async function openWorld(feed: FeedSpec, inject?: (messages: OutgoingMessage[]) => OutgoingMessage[]): Promise<World> {
  const nats = await startNats({ maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const tmp = tempDir();
  try {
    const messages = feedMessages(feed);
    await new JetStreamPublisher(nats.nc, { inFlight: 512 }).publishAll(inject ? inject(messages) : messages);
  } catch (e) {
    await stopNats(nats);
    tmp.cleanup();
    throw e;
  }
  const dbPath = join(tmp.dir, "rec.duckdb");
  return {
    nats,
    dir: tmp.dir,
    dbPath,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      TICKFLOW_DB: dbPath,
      TICKFLOW_DATA: tmp.dir,
      TICKFLOW_HMAC_KEY: "fault-suite-signing-key-0123456789",
    },
    async close() {
      await stopNats(nats);
      tmp.cleanup();
    },
  };
}

export interface RunProc {
  readonly child: ChildProcess;
  readonly port: number;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** Starts `tickflow run` on the world's feed as a process, its status served on a free port. */
export async function startRun(world: World, runId: string, pipeline = FAULT_PIPELINE): Promise<RunProc> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "run", pipeline, "--run-id", runId, "--quiet", "--http-port", String(port)], {
    cwd: ROOT,
    env: world.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p: RunProc = { child, port, stdout: "", stderr: "", exited: new Promise((r) => child.on("exit", (code) => r(code))) };
  child.stdout!.on("data", (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

interface Counters {
  readonly inputs: number;
  readonly batches: number;
}

/** The run's counters from its /api/status (undefined until it serves). */
export async function counters(p: RunProc): Promise<Counters | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${p.port}/api/status`, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) return undefined;
    const s = (await r.json()) as { counters: Counters | null };
    return s.counters ?? undefined;
  } catch {
    return undefined;
  }
}

/** What the run's status and its consumers say, for a failure message. */
async function diagnose(p: RunProc, world?: World): Promise<string> {
  const lines: string[] = [];
  try {
    lines.push(`status: ${JSON.stringify(await (await fetch(`http://127.0.0.1:${p.port}/api/status`, { signal: AbortSignal.timeout(2000) })).json())}`);
    lines.push(`readyz: ${JSON.stringify(await (await fetch(`http://127.0.0.1:${p.port}/readyz`, { signal: AbortSignal.timeout(2000) })).json())}`);
  } catch (e) {
    lines.push(`status: ${(e as Error).message}`);
  }
  if (world) {
    try {
      const jsm = await jetstreamManager(world.nats.nc);
      for (const s of ["MARKET", "NEWS"])
        for await (const c of jsm.consumers.list(s))
          lines.push(
            `consumer ${s}/${c.name}: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, ack floor ${c.ack_floor.stream_seq}, delivered ${c.delivered.stream_seq}, waiting pulls ${c.num_waiting}`,
          );
    } catch (e) {
      lines.push(`consumers: ${(e as Error).message}`);
    }
  }
  return lines.join("\n");
}

/** Waits until the run has processed at least `inputs` inputs (counters continue across resumes). */
export async function waitForInputs(p: RunProc, inputs: number, timeoutMs: number, world?: World): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`tickflow run exited (${p.child.exitCode}) before ${inputs} inputs:\n${p.stderr}\n${p.stdout}`);
    const c = await counters(p);
    if (c && c.inputs >= inputs) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${inputs} inputs (at ${c?.inputs ?? "?"}):\n${await diagnose(p, world)}\n${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGINT, as Ctrl-C: resolves with the exit code and the digest the run printed. */
export async function stopRun(p: RunProc, timeoutMs = 30_000): Promise<{ code: number | null; digest?: string; processed?: number }> {
  p.child.kill("SIGINT");
  const code = await Promise.race([p.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs))]);
  if (code === "timeout") {
    p.child.kill("SIGKILL");
    throw new Error(`tickflow run did not exit within ${timeoutMs} ms of SIGINT:\n${p.stderr}`);
  }
  const processed = /^run \S+: (\d+) inputs/m.exec(p.stdout)?.[1];
  return { code, digest: /^digest: ([0-9a-f]{64})$/m.exec(p.stdout)?.[1], processed: processed === undefined ? undefined : Number(processed) };
}

/** kill -9: no handler runs, nothing is flushed, DuckDB's WAL is left as it was. */
export async function kill9(p: RunProc): Promise<void> {
  p.child.kill("SIGKILL");
  await p.exited;
}

/** A seeded uniform [0,1) source (mulberry32), so a failing instant can be reproduced from the seed. */
export { mulberry32 } from "../../models/prng.ts";

export interface StoredMessage {
  readonly subject: string;
  readonly id: string;
  readonly data: string;
}

/** Every message stored on `stream`, in stream order. */
export async function streamMessages(world: World, stream: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(world.nats.nc);
  const info = await jsm.streams.info(stream);
  const out: StoredMessage[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m) continue;
    out.push({ subject: m.subject, id: m.header.get("Nats-Msg-Id"), data: new TextDecoder().decode(m.data) });
  }
  return out;
}

const json = (row: unknown): string => JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

export interface Recording {
  /** Per output table: every row of the run (run_id excluded), canonically ordered. */
  readonly tables: Record<string, string[]>;
  /** run_inputs rows of the run (its key is (run_id, input_table, id): each input once). */
  readonly inputs: number;
  readonly deadLetters: number;
  readonly events: string[];
}

/** Opens the world's recording (no process may hold it) and reads what the run recorded. */
export async function readRecording(world: World, runId: string): Promise<Recording> {
  const db = await Database.open(world.dbPath);
  try {
    const tables: Record<string, string[]> = {};
    const present = new Set((await db.query<{ t: string }>("SELECT table_name t FROM information_schema.tables")).map((r) => r.t));
    for (const t of OUTPUT_TABLES) {
      if (!present.has(t)) {
        tables[t] = [];
        continue;
      }
      const rows = await db.query(`SELECT * EXCLUDE (run_id) FROM ${t} WHERE run_id = ? ORDER BY ALL`, [runId]);
      tables[t] = rows.map(json);
    }
    const [n] = await db.query<{ n: bigint }>("SELECT count(*) n FROM run_inputs WHERE run_id = ?", [runId]);
    const [dl] = await db.query<{ n: bigint }>("SELECT count(*) n FROM dead_letters WHERE run_id = ?", [runId]);
    const events = await db.query<{ event: string }>("SELECT event FROM run_events WHERE run_id = ? ORDER BY happened_at, rowid", [runId]);
    return { tables, inputs: Number(n!.n), deadLetters: Number(dl!.n), events: events.map((e) => e.event) };
  } finally {
    await db.close();
  }
}

export interface Comparison {
  readonly digestEqual: boolean;
  /** Reference output rows missing from the faulted run, and faulted rows the reference does not have. */
  readonly rowsLost: number;
  readonly rowsExtra: number;
  /** Reference messages never published by the faulted run; messages stored more than once; messages not in the reference. */
  readonly messagesLost: number;
  readonly messagesDuplicated: number;
  readonly messagesExtra: number;
  readonly inputsProcessedTwice: number;
}

/** Multiset difference a - b, by count. */
function missing(a: readonly string[], b: readonly string[]): number {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  let n = 0;
  for (const x of a) {
    const k = left.get(x) ?? 0;
    if (k > 0) left.set(x, k - 1);
    else n++;
  }
  return n;
}

export interface Outcome {
  readonly digest?: string;
  /** The inputs the run's summary counted (counters continue across resumes). */
  readonly processed?: number;
  readonly recording: Recording;
  readonly messages: Record<string, StoredMessage[]>;
}

/** Reads a world's outcome once its run has stopped. */
export async function outcome(world: World, runId: string, stopped: { digest?: string; processed?: number }): Promise<Outcome> {
  const messages: Record<string, StoredMessage[]> = {};
  for (const s of PUBLISHED_STREAMS) messages[s] = await streamMessages(world, s);
  return { ...stopped, recording: await readRecording(world, runId), messages };
}

export function compare(ref: Outcome, got: Outcome): Comparison {
  let rowsLost = 0;
  let rowsExtra = 0;
  for (const t of OUTPUT_TABLES) {
    rowsLost += missing(ref.recording.tables[t]!, got.recording.tables[t]!);
    rowsExtra += missing(got.recording.tables[t]!, ref.recording.tables[t]!);
  }
  let messagesLost = 0;
  let messagesExtra = 0;
  let messagesDuplicated = 0;
  for (const s of PUBLISHED_STREAMS) {
    const key = (m: StoredMessage): string => `${m.subject} ${m.data}`;
    const r = ref.messages[s]!.map(key);
    const g = got.messages[s]!.map(key);
    messagesLost += missing(r, g);
    messagesExtra += missing(g, r);
    messagesDuplicated += g.length - new Set(g).size;
  }
  return {
    digestEqual: ref.digest !== undefined && ref.digest === got.digest,
    rowsLost,
    rowsExtra,
    messagesLost,
    messagesDuplicated,
    messagesExtra,
    inputsProcessedTwice: (got.processed ?? 0) - got.recording.inputs,
  };
}

/** The suite's feed: three symbols, one trade a second each, with news; 200k messages in the full suite. */
export const FAULT_FEED: FeedSpec = { count: FULL ? 200_000 : 24_000, seed: 9, symbols: ["AAPL", "MSFT", "NVDA"], tradesPerSecond: 1 };
/** The run id every world runs under (each world has its own server and recording). */
export const FAULT_RUN = "faults";

/**
 * The reference outcome: the feed run to its end in a world of its own without a fault. It must exercise what a
 * fault can break: signals, orders and fills on the streams.
 */
export async function referenceRun(feed: FeedSpec = FAULT_FEED, runId = FAULT_RUN): Promise<Outcome> {
  const world = await openWorld(feed);
  try {
    const p = await startRun(world, runId);
    await waitForInputs(p, feed.count, 180_000, world);
    const stopped = await stopRun(p);
    if (stopped.code !== 0) throw new Error(`the reference run exited ${stopped.code}:\n${p.stderr}`);
    const o = await outcome(world, runId, stopped);
    if (!(o.messages.SIGNALS!.length > 0 && o.messages.ORDERS!.length > 0))
      throw new Error(`the reference run published ${o.messages.SIGNALS!.length} signals and ${o.messages.ORDERS!.length} orders/fills: it tests nothing`);
    return o;
  } finally {
    await world.close();
  }
}

export interface FaultRow {
  readonly fault: string;
  readonly inFlight: string;
  readonly c: Comparison;
}

/** The closing note's table: fault, in flight, lost, duplicated, equal. */
export function faultTable(rows: readonly FaultRow[]): string {
  const lines = [
    "| fault | in flight | lost (rows / messages) | duplicated (messages / inputs) | extra (rows / messages) | digest equal |",
    "|---|---|---|---|---|---|",
  ];
  for (const { fault, inFlight, c } of rows)
    lines.push(
      `| ${fault} | ${inFlight} | ${c.rowsLost} / ${c.messagesLost} | ${c.messagesDuplicated} / ${c.inputsProcessedTwice} | ${c.rowsExtra} / ${c.messagesExtra} | ${c.digestEqual ? "yes" : "no"} |`,
    );
  return lines.join("\n");
}

export { DEFAULT_SIM_START_NS };
