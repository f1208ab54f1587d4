// Outages are weather, not failures: a live publisher waits out a stopped nats-server and stores every message once;
// commands exit in bounded time with a clear message after any error; Ctrl-C of `tickflow run` while NATS is away
// exits in bounded time and the waiting publishes go out on the next start. Real nats-server, real DuckDB, real
// processes (dist/: `npm run build` first).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { Database } from "../../io/duckdb/database.ts";
import { freePort, waitForPort } from "../../io/nats/natsServer.ts";
import { JetStreamPublisher, PublishHealth, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import { RetriesExhaustedError } from "../../core/retry.ts";
import type { CircuitState } from "../../core/circuitBreaker.ts";
import { TickflowMetrics } from "../../ops/metrics.ts";
import { checkReadiness, publishProbe } from "../../ops/readiness.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");
const PIPELINE = join(ROOT, "pipelines", "momentum-sentiment.yaml");
/** A hang guard, not a speed assertion. */
const EXIT_BOUND_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

function messages(from: number, to: number): OutgoingMessage[] {
  return Array.from({ length: to - from }, (_, k) => ({
    subject: "signals.OUTAGE",
    data: encoder.encode(JSON.stringify({ n: from + k })),
    msgID: `outage-${from + k}`,
  }));
}

/** Every message of a stream, as its Nats-Msg-Id. */
async function storedIds(f: NatsFixture, stream: string): Promise<string[]> {
  const jsm = await jetstreamManager(f.nc);
  const n = (await jsm.streams.info(stream)).state.messages;
  const ids: string[] = [];
  for (let seq = 1; ids.length < n; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) ids.push(m.header.get("Nats-Msg-Id"));
  }
  return ids;
}

async function settlesWithin<T>(p: Promise<T>, ms: number): Promise<boolean> {
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);
}

describe("JetStreamPublisher while nats-server is away", () => {
  let nats: NatsFixture;
  beforeAll(async () => {
    nats = await startNats({ maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });
  afterAll(async () => {
    await stopNats(nats);
  });

  it("waits out a 5 s outage on the same port and store: every message stored once; the breaker opened and closed; readyz and metrics said so", async () => {
    const health = new PublishHealth({ failureThreshold: 3, coolDownMs: 60_000 });
    const changes: string[] = [];
    health.onChange((from: CircuitState, to: CircuitState) => changes.push(`${from}->${to}`));
    const metrics = new TickflowMetrics();
    metrics.watchPublishCircuit(() => health.breaker.state);
    const probe = publishProbe(health);
    const publisher = new JetStreamPublisher(nats.nc, { attempts: Infinity, timeoutMs: 1000, health, onRetry: () => metrics.publishRetried() });

    await publisher.publishAll(messages(0, 100));
    expect(await checkReadiness([probe])).toEqual({ ready: true, checks: { publish: { ok: true } } });

    nats.server.process.kill("SIGKILL");
    await new Promise((r) => nats.server.process.once("exit", r));
    const rest = publisher.publishAll(messages(100, 400));
    await sleep(5000);
    expect(await settlesWithin(rest, 0), "publishes gave up during the outage").toBe(false);
    expect(health.breaker.state).toBe("open");
    const down = await checkReadiness([probe]);
    expect(down.ready).toBe(false);
    expect(down.checks.publish!.reason).toMatch(
      /^circuit open since \d{4}-\d\d-\d\dT[\d:.]+Z, \d+ consecutive failures: .+; publishes keep retrying and the run waits/,
    );
    expect(await metrics.text()).toMatch(/^tickflow_publish_circuit_state 1$/m);

    await nats.server.restart();
    const acks = await rest;
    expect(acks).toHaveLength(300);

    const ids = await storedIds(nats, "SIGNALS");
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
    expect(new Set(ids)).toEqual(new Set(messages(0, 400).map((m) => m.msgID)));

    expect(health.breaker.state).toBe("closed");
    expect(changes[0]).toBe("closed->open");
    expect(changes.at(-1)).toMatch(/->closed$/);
    expect(await checkReadiness([probe])).toEqual({ ready: true, checks: { publish: { ok: true } } });
    const text = await metrics.text();
    expect(text).toMatch(/^tickflow_publish_circuit_state 0$/m);
    expect(Number(/^tickflow_publish_retries_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  }, 90_000);

  it("a command's publisher (bounded attempts) gives up with what, where and why", async () => {
    nats.server.process.kill("SIGKILL");
    await new Promise((r) => nats.server.process.once("exit", r));
    try {
      const publisher = new JetStreamPublisher(nats.nc, { attempts: 2, timeoutMs: 300, maxBackoffMs: 100, health: new PublishHealth() });
      const t0 = Date.now();
      const err = await publisher.publishAll(messages(1000, 1003)).catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(err).toBeInstanceOf(RetriesExhaustedError);
      expect((err as Error).message).toMatch(/^publish to signals\.OUTAGE \(msg id outage-100\d\) on NATS 127\.0\.0\.1:\d+: gave up after 2 attempts: /);
    } finally {
      await nats.server.restart();
    }
  }, 30_000);

  it("abandon() ends the waiting publishes at once, the connection stays open", async () => {
    nats.server.process.kill("SIGKILL");
    await new Promise((r) => nats.server.process.once("exit", r));
    try {
      const publisher = new JetStreamPublisher(nats.nc, { attempts: Infinity, timeoutMs: 500, health: new PublishHealth() });
      const waiting = publisher.publishAll(messages(2000, 2010));
      await sleep(1200);
      expect(await settlesWithin(waiting, 0)).toBe(false);
      const t0 = Date.now();
      publisher.abandon(new Error("the run stopped while its publishes waited for NATS"));
      const err = await waiting.catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect((err as Error).message).toMatch(/gave up after \d+ attempts?: the run stopped while its publishes waited for NATS$/);
      expect(nats.nc.isClosed()).toBe(false);
    } finally {
      await nats.server.restart();
    }
  }, 30_000);

  it("a publish waiting for NATS gives up at once when the connection is closed", async () => {
    const own = await startNats();
    try {
      own.server.process.kill("SIGKILL");
      const publisher = new JetStreamPublisher(own.nc, { attempts: Infinity, timeoutMs: 500, health: new PublishHealth() });
      const waiting = publisher.publish(messages(0, 1)[0]!);
      await sleep(1500);
      expect(await settlesWithin(waiting, 0)).toBe(false);
      const t0 = Date.now();
      await own.nc.close();
      const err = await waiting.catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect((err as Error).message).toMatch(/was closed while the publish waited/);
    } finally {
      await own.server.stop();
    }
  }, 30_000);
});

interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Exit code (128 + n for a signal) and how long the process ran. */
  readonly exited: Promise<{ code: number | null; ms: number }>;
}

function tickflow(args: string[], env: NodeJS.ProcessEnv, bin = BIN): Proc {
  const t0 = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((r) => child.on("exit", (code, signal) => r({ code: code ?? (signal ? 128 : null), ms: Date.now() - t0 }))),
  };
  child.stdout!.on("data", (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

/** Runs a command to its end, killing it if it outlives the hang guard. */
async function finished(p: Proc): Promise<{ code: number | null; ms: number }> {
  const guard = setTimeout(() => p.child.kill("SIGKILL"), EXIT_BOUND_MS + 5000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(guard);
  }
}

async function until(what: string, p: Proc, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (p.child.exitCode !== null) throw new Error(`tickflow exited (${p.child.exitCode}) before ${what}:\n${p.stderr}\n${p.stdout}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${p.stderr}\n${p.stdout}`);
    await sleep(100);
  }
}

/** A process holding a DuckDB file open (DuckDB lets one process open a file for writing). */
async function holdDatabase(path: string): Promise<ChildProcess> {
  const script = `const { DuckDBInstance } = await import("@duckdb/node-api");
const i = await DuckDBInstance.create(${JSON.stringify(path)});
const c = await i.connect();
await c.run("CREATE TABLE IF NOT EXISTS held AS SELECT 1 AS x");
process.stdout.write("held\\n");
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
    child.once("exit", (code) => reject(new Error(`the DuckDB holder exited (${code})`)));
  });
  return child;
}

async function listen(port = 0): Promise<Server> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return server;
}

describe("every command exits in bounded time with a clear message after an error", () => {
  let nats: NatsFixture;
  let tmp: { dir: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  let refused: NodeJS.ProcessEnv;

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    env = { ...process.env, NATS_URL: nats.url, TICKFLOW_DB: join(tmp.dir, "rec.duckdb"), TICKFLOW_DATA: tmp.dir, TICKFLOW_HTTP_PORT: "0" };
    refused = { ...env, NATS_URL: `nats://127.0.0.1:${await freePort()}` };
  });
  afterAll(async () => {
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("NATS refused: run, simulate and import say which server does not answer", async () => {
    for (const args of [
      ["run", PIPELINE],
      ["simulate", "--count", "10"],
      ["import", join(ROOT, "tests/fixtures/daily-orcl-1995.csv"), "--symbol", "ORCL"],
    ]) {
      const p = tickflow(args, refused);
      const { code, ms } = await finished(p);
      expect(code, `${args[0]}: ${p.stderr}`).toBe(1);
      expect(ms).toBeLessThan(EXIT_BOUND_MS);
      expect(p.stderr).toMatch(/^tickflow: NATS_URL=nats:\/\/127\.0\.0\.1:\d+ does not answer; start that server or unset NATS_URL/m);
    }
  }, 60_000);

  it("NATS refused at connect: connectNats fails at once with what to do", async () => {
    const { connectNats } = await import("../../app/environment.ts");
    const t0 = Date.now();
    const err = await connectNats({ natsUrl: refused.NATS_URL!, dbPath: "", dataDir: "", natsUrlFromEnv: true }, "pipeline").catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((err as Error).message).toMatch(
      /^cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+ as pipeline: connection refused; start that server or fix NATS_URL$/,
    );
  });

  it("DuckDB file locked by another process: run and sql say which file, and run does not hang on its NATS connection", async () => {
    const db = join(tmp.dir, "locked.duckdb");
    const holder = await holdDatabase(db);
    try {
      for (const args of [
        ["run", PIPELINE, "--quiet"],
        ["sql", "SELECT 1"],
      ]) {
        const p = tickflow(args, { ...env, TICKFLOW_DB: db });
        const { code, ms } = await finished(p);
        expect(code, `${args[0]}: ${p.stderr}`).toBe(1);
        expect(ms).toBeLessThan(EXIT_BOUND_MS);
        expect(p.stderr).toContain(`tickflow: ${db} is open in another tickflow process (DuckDB allows one writer per file)`);
      }
    } finally {
      holder.kill("SIGKILL");
    }
  }, 60_000);

  it("HTTP port busy: run names the port and the way out", async () => {
    const busy = await listen();
    const port = (busy.address() as { port: number }).port;
    try {
      const p = tickflow(["run", PIPELINE, "--quiet", "--http-port", String(port)], { ...env, TICKFLOW_DB: join(tmp.dir, "port.duckdb") });
      const { code, ms } = await finished(p);
      expect(code, p.stderr).toBe(1);
      expect(ms).toBeLessThan(EXIT_BOUND_MS);
      expect(p.stderr).toMatch(new RegExp(`^tickflow: HTTP port ${port} on 127\\.0\\.0\\.1 is in use; pass --http-port .* \\[HTTP_PORT_IN_USE\\]$`, "m"));
    } finally {
      busy.close();
    }
  }, 30_000);

  it("a bad pipeline file: run names the file and what is wrong", async () => {
    const bad = join(tmp.dir, "bad.yaml");
    writeFileSync(bad, "name: bad\nsources:\n  trades: { type: trade }\nnodes:\n  x: { op: noSuchOperator, in: trades }\nsinks: []\n");
    const p = tickflow(["run", bad], env);
    const { code, ms } = await finished(p);
    expect(code, p.stderr).toBe(78); // refused: a restart cannot fix the file (the systemd unit does not restart 78)
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(p.stderr).toMatch(new RegExp(`^tickflow: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*noSuchOperator`, "m"));
    expect(p.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);

  it("EPIPE: `tickflow sql ... | head -1` prints the first line and exits quietly", async () => {
    const db = join(tmp.dir, "pipe.duckdb");
    await (await Database.open(db)).close(); // sql reads an existing recording only
    const t0 = Date.now();
    const sh = spawn("bash", ["-c", `set -o pipefail; node ${JSON.stringify(BIN)} sql "SELECT * FROM range(300000)" --format csv | head -1`], {
      cwd: ROOT,
      env: { ...env, TICKFLOW_DB: db },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    sh.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    sh.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => sh.on("exit", r));
    expect(Date.now() - t0).toBeLessThan(EXIT_BOUND_MS);
    expect(out).toBe("range\n");
    expect(err).toBe(""); // no EPIPE stack
    expect(code).toBe(141); // as SIGPIPE would end it (pipefail shows tickflow's status)
  }, 30_000);
});

describe("Ctrl-C of `tickflow run` while NATS is away", () => {
  let nats: NatsFixture;
  let tmp: { dir: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    nats = await startNats({ maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    tmp = tempDir();
    env = { ...process.env, NATS_URL: nats.url, TICKFLOW_DB: join(tmp.dir, "rec.duckdb"), TICKFLOW_DATA: tmp.dir };
  });
  afterAll(async () => {
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("with publishes waiting: readyz and metrics show the open circuit, the stop is bounded, the next start sends the outbox", async () => {
    const port = await freePort();
    const run = tickflow(["run", PIPELINE, "--run-id", "outage", "--quiet", "--http-port", String(port)], env);
    await until("the run to consume", run, () => /tickflow: running momentum-sentiment/.test(run.stderr), 60_000);
    // Publishes that cannot be stored: the DLQ stream is gone, so the dead letters of three undecodable trades wait.
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.delete("DLQ");
    const js = jetstream(nats.nc);
    for (let i = 0; i < 3; i++) await js.publish("md.trades.AAPL", encoder.encode(`not json ${i}`), { msgID: `garbage-${i}` });
    const get = async (path: string): Promise<{ status: number; text: string }> => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, text: await r.text() };
    };
    await until("/readyz to report the open publish circuit", run, async () => (await get("/readyz")).status === 503, 60_000);
    const ready = JSON.parse((await get("/readyz")).text) as { checks: Record<string, { ok: boolean; reason?: string }> };
    expect(ready.checks.publish!.reason).toMatch(/^circuit (open|half-open) since .*, \d+ consecutive failures: .+; publishes keep retrying/);
    const metrics = (await get("/metrics")).text;
    expect(metrics).toMatch(/^tickflow_publish_circuit_state [12]$/m);
    expect(Number(/^tickflow_publish_retries_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/tickflow: publishes to NATS are failing \(\d+ in a row, last: .+\); the run retries until NATS answers/);

    // Now NATS goes away altogether, and the user presses Ctrl-C.
    nats.server.process.kill("SIGKILL");
    await sleep(500);
    run.child.kill("SIGINT");
    const { code, ms } = await finished(run);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /tickflow: run outage stopped while NATS at nats:\/\/127\.0\.0\.1:\d+ was away: the last batch's publishes did not all go out\. They stay in the run's outbox/,
    );

    // NATS is back (same store, DLQ stream recreated by the next start): the restarted run sends the outbox first.
    await nats.server.restart();
    await waitForPort(nats.server.port, 10_000);
    const again = tickflow(["run", PIPELINE, "--run-id", "outage", "--quiet", "--http-port", "0"], env);
    await until("the restarted run to consume", again, () => /tickflow: running momentum-sentiment/.test(again.stderr), 60_000);
    await until("the outbox's dead letters in DLQ", again, async () => (await jsm.streams.info("DLQ").catch(() => undefined))?.state.messages === 3, 30_000);
    again.child.kill("SIGINT");
    const second = await finished(again);
    expect(second.code, again.stderr).toBe(0);
    const ids = await storedIds(nats, "DLQ");
    expect(ids.sort()).toEqual(["dlq:decode:md.trades.AAPL #1", "dlq:decode:md.trades.AAPL #2", "dlq:decode:md.trades.AAPL #3"].sort());
  }, 180_000);

  it("with nothing waiting: the stop does not hang on the dead connection", async () => {
    const run = tickflow(["run", PIPELINE, "--run-id", "idle", "--quiet", "--http-port", "0"], env);
    await until("the run to consume", run, () => /tickflow: running momentum-sentiment/.test(run.stderr), 60_000);
    // Caught up: every consumer of the run has nothing left to deliver and nothing unacked (no publish waits).
    const jsm = await jetstreamManager(nats.nc);
    await until(
      "the run to ack what the stream holds",
      run,
      async () => {
        let mine = 0;
        for (const stream of ["MARKET", "NEWS"]) {
          for await (const c of jsm.consumers.list(stream)) {
            if (!c.name.startsWith("idle")) continue;
            mine++;
            if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
          }
        }
        return mine > 0;
      },
      60_000,
    );
    nats.server.process.kill("SIGKILL");
    await sleep(500);
    run.child.kill("SIGINT");
    const { code, ms } = await finished(run);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^run idle: \d+ inputs/m);
    await nats.server.restart();
  }, 120_000);
});

/**
 * A copy of the installed package in a temporary folder: its own nats.conf and data/ (pid file, store, log), so the
 * local server a command starts is this test's. The local server listens on 4222 (nats.conf): skipped when taken.
 */
function packageCopy(dir: string): string {
  for (const f of ["package.json", "bin", "dist"]) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  // The monitoring port of the repository's nats.conf is left out: only the client port matters here.
  writeFileSync(join(dir, "nats.conf"), readFileSync(join(ROOT, "nats.conf"), "utf8").replace(/^http:.*$/m, ""));
  return join(dir, "bin", "tickflow.js");
}

const running = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

describe("the local nats-server a command starts", () => {
  let tmp: { dir: string; cleanup: () => void };
  let bin: string;
  let env: NodeJS.ProcessEnv;
  let portTaken = false;

  beforeAll(async () => {
    tmp = tempDir();
    bin = packageCopy(tmp.dir);
    env = { ...process.env, TICKFLOW_DB: join(tmp.dir, "rec.duckdb"), TICKFLOW_DATA: join(tmp.dir, "data"), TICKFLOW_HTTP_PORT: "0" };
    delete env.NATS_URL;
    portTaken = await waitForPort(4222, 0).then(
      () => true,
      () => false,
    );
  });
  afterAll(() => tmp?.cleanup());

  const startedPid = (stderr: string): number => Number(/tickflow: nats-server started \(pid (\d+), nats:\/\/127\.0\.0\.1:4222/.exec(stderr)?.[1]);

  it("is stopped when the command ends (import), after an error (a bad import file), and on Ctrl-C (simulate)", async (ctx) => {
    if (portTaken) ctx.skip();
    const pidFile = join(tmp.dir, "data", "nats.pid");

    const imp = tickflow(["import", join(ROOT, "tests/fixtures/daily-orcl-1995.csv"), "--symbol", "ORCL"], env, bin);
    const done = await finished(imp);
    expect(done.code, imp.stderr).toBe(0);
    const pid = startedPid(imp.stderr);
    expect(pid, imp.stderr).toBeGreaterThan(0);
    expect(imp.stderr).toMatch(/it stops when this command ends/);
    expect(imp.stderr).toContain(`tickflow: nats-server stopped (pid ${pid}, started by this command)`);
    expect(running(pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);

    // An error after the server started: a file that is not market data.
    const junk = join(tmp.dir, "junk.csv");
    writeFileSync(junk, "this is not,a csv of bars\n1,2\n");
    const bad = tickflow(["import", junk, "--symbol", "X", "--format", "ohlcv"], env, bin);
    const failed = await finished(bad);
    expect(failed.code, bad.stderr).toBe(1);
    const badPid = startedPid(bad.stderr);
    expect(bad.stderr).toContain(`tickflow: nats-server stopped (pid ${badPid}, started by this command)`);
    expect(running(badPid)).toBe(false);

    // simulate starts the server too (as import and run do) and stops it on Ctrl-C.
    const sim = tickflow(["simulate", "--rate", "200", "--symbols", "AAPL"], env, bin);
    await until("simulate to publish", sim, () => /published \d+/.test(sim.stderr), 30_000);
    const simPid = startedPid(sim.stderr);
    sim.child.kill("SIGINT");
    const ended = await finished(sim);
    expect(ended.code, sim.stderr).toBe(0);
    expect(ended.ms).toBeLessThan(EXIT_BOUND_MS + 30_000);
    expect(sim.stderr).toContain(`tickflow: nats-server stopped (pid ${simPid}, started by this command)`);
    expect(running(simPid)).toBe(false);
  }, 120_000);

  it("started by `tickflow up` it keeps running until `tickflow down`", async (ctx) => {
    if (portTaken) ctx.skip();
    const up = tickflow(["up"], env, bin);
    expect((await finished(up)).code, up.stderr).toBe(0);
    const pid = startedPid(up.stderr);
    expect(up.stderr).toMatch(/`tickflow down` stops it/);
    expect(up.stderr).not.toMatch(/nats-server stopped/);
    try {
      expect(running(pid)).toBe(true);
      // Another command uses it and leaves it running.
      const imp = tickflow(["import", join(ROOT, "tests/fixtures/daily-orcl-1995.csv"), "--symbol", "ORCL"], env, bin);
      expect((await finished(imp)).code, imp.stderr).toBe(0);
      expect(imp.stderr).not.toMatch(/nats-server (started|stopped)/);
      expect(running(pid)).toBe(true);
    } finally {
      const down = tickflow(["down"], env, bin);
      expect((await finished(down)).code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(/nats-server stopped/);
    }
    expect(running(pid)).toBe(false);
  }, 120_000);
});
