// The live composition root as a user runs it: `tickflow run` and `tickflow start` as processes (compiled dist/,
// real nats-server, real DuckDB file), stopped with SIGINT; the run's digest is what `tickflow replay` gives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { Database } from "../../io/duckdb/database.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");
const PIPELINE = join(ROOT, "pipelines", "momentum-sentiment.yaml");

interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function tickflow(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = { child, stdout: "", stderr: "", exited: new Promise((r) => child.on("exit", (code) => r(code))) };
  child.stdout!.on("data", (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

async function until(what: string, p: Proc, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (p.child.exitCode !== null) throw new Error(`tickflow exited (${p.child.exitCode}) before ${what}:\n${p.stderr}\n${p.stdout}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${p.stderr}\n${p.stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const digestOf = (out: string): string | undefined => /^digest: ([0-9a-f]{64})$/m.exec(out)?.[1];

describe("tickflow run / start as processes", () => {
  let nats: NatsFixture;
  let tmp: { dir: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    env = { ...process.env, NATS_URL: nats.url, TICKFLOW_DB: join(tmp.dir, "rec.duckdb"), TICKFLOW_DATA: tmp.dir, TICKFLOW_HTTP_PORT: "0" };
  });
  afterAll(async () => {
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("tickflow run processes the stored feed, stops on SIGINT with exit 0, and tickflow replay gives its digest", async () => {
    await publishSimulatedFeed(nats.nc, { symbols: ["AAPL", "MSFT"], seed: 11, startNs: DEFAULT_SIM_START_NS, count: 8_000 });
    const run = tickflow(["run", PIPELINE, "--run-id", "live-proc", "--quiet"], env);
    const jsm = await jetstreamManager(nats.nc);
    // Caught up: every durable consumer of the run has nothing left to deliver and nothing unacked.
    await until(
      "the run to consume and ack the feed",
      run,
      async () => {
        const names: string[] = [];
        for await (const c of jsm.consumers.list("MARKET")) names.push(c.name);
        // The consumers are named after the run (its id is its identity: the same id resumes them and its checkpoint).
        if (!names.some((n) => n.startsWith("live-proc"))) return false;
        for (const stream of ["MARKET", "NEWS"]) {
          for await (const c of jsm.consumers.list(stream)) if (c.name.startsWith("live-proc") && (c.num_pending > 0 || c.num_ack_pending > 0)) return false;
        }
        return true;
      },
      60_000,
    );
    // While it runs, tickflow status finds it (its process file) and it is ready; a stopped run leaves no file.
    const status = tickflow(["status", "--json"], env);
    expect(await status.exited, `${status.stderr}\n${status.stdout}`).toBe(0);
    const report = JSON.parse(status.stdout) as { pipelines: { runId: string; alive: boolean; note?: string }[] };
    // This run has no HTTP server (TICKFLOW_HTTP_PORT=0): alive, health unknown, not a problem.
    expect(report.pipelines).toEqual([expect.objectContaining({ runId: "live-proc", alive: true, note: expect.stringMatching(/no HTTP server/) })]);
    run.child.kill("SIGINT");
    expect(await run.exited, run.stderr).toBe(0);
    expect(existsSync(join(tmp.dir, "run", "live-proc.json"))).toBe(false);
    expect(run.stdout).toMatch(/^run live-proc: 8000 inputs, outputs: signals \d+, joined \d+; 0 dead letters, 0 late$/m);
    const live = digestOf(run.stdout);
    expect(live).toBeDefined();

    // A replay of every recorded input ends the stream: it also closes the bars the stopped run still holds open.
    const rep = tickflow(["replay", PIPELINE, "--run-id", "replay-proc"], env);
    expect(await rep.exited, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/^run replay-proc: 8000 inputs/m);

    // replay --run: exactly that run's inputs; a run recorded under other time-zone data is replayed with a warning.
    const db = await Database.open(env.TICKFLOW_DB!);
    try {
      await db.run(`UPDATE runs SET params = json_object('tz', '1999z') WHERE run_id = 'live-proc'`);
    } finally {
      await db.close();
    }
    const of = tickflow(["replay", PIPELINE, "--run", "live-proc", "--run-id", "replay-of-live-proc"], env);
    expect(await of.exited, of.stderr).toBe(0);
    expect(of.stderr).toMatch(/warning: run live-proc used time-zone data 1999z, this process has \S+: session and day boundaries may differ/);
    expect(of.stderr).toMatch(/run live-proc is open \(stopped, continues from its checkpoint\): replaying up to its watermark/);
    expect(of.stdout).toMatch(/^run replay-of-live-proc: 8000 inputs/m);
    expect(digestOf(of.stdout)).toBe(live);
    const wrong = tickflow(["replay", join(ROOT, "pipelines", "momentum-bars.yaml"), "--run", "live-proc"], env);
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr).toMatch(/run live-proc is a run of pipeline momentum-sentiment, not momentum-bars/);
  }, 120_000);

  it("tickflow run --log json: lifecycle events as one JSON object per line, none per message; a failure is one error object", async () => {
    await publishSimulatedFeed(nats.nc, { symbols: ["AAPL", "MSFT"], seed: 11, startNs: DEFAULT_SIM_START_NS, count: 8_000 });
    const run = tickflow(["run", PIPELINE, "--run-id", "live-json", "--quiet", "--log", "json"], env);
    const jsm = await jetstreamManager(nats.nc);
    await until(
      "the run to consume and ack the feed",
      run,
      async () => {
        let found = false;
        for (const stream of ["MARKET", "NEWS"])
          for await (const c of jsm.consumers.list(stream))
            if (c.name.startsWith("live-json")) {
              found = true;
              if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
            }
        return found;
      },
      60_000,
    );
    run.child.kill("SIGINT");
    expect(await run.exited, run.stderr).toBe(0);
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
    const events = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line on stderr: ${l}`);
      }
    });
    for (const e of events) {
      expect(e).toMatchObject({
        level: expect.stringMatching(/^(info|warn|error)$/),
        event: expect.stringMatching(/^[a-z_]+\.[a-z_.]+$/),
        msg: expect.any(String),
      });
      expect(new Date(e.time as string).toISOString()).toBe(e.time);
    }
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(["run.started", "run.stopping", "run.stopped"]));
    expect(lines.length).toBeLessThan(20); // 8000 messages in, a handful of lifecycle lines out
    expect(events.find((e) => e.event === "run.started")).toMatchObject({ runId: "live-json", pipeline: "momentum-sentiment", dashboardUrl: null });
    const stopped = events.find((e) => e.event === "run.stopped")!;
    expect(stopped).toMatchObject({ runId: "live-json", inputs: 8000, deadLetters: 0, digest: digestOf(run.stdout) });

    const failed = tickflow(["run", join(ROOT, "pipelines", "nope.yaml"), "--log", "json"], env);
    expect(await failed.exited).toBe(78); // refused at load: no such pipeline file
    const errLines = failed.stderr.trim().split("\n");
    expect(errLines).toHaveLength(1);
    expect(JSON.parse(errLines[0]!)).toMatchObject({
      level: "error",
      event: "command.failed",
      command: "run",
      code: "DECLARATION_INVALID",
      msg: expect.stringMatching(/nope\.yaml/),
    });

    const badEnv = tickflow(["sql", "SELECT 1"], { ...env, TICKFLOW_LOG: "yaml" });
    expect(await badEnv.exited).toBe(78); // a refusal: EXIT_REFUSED
    expect(badEnv.stderr).toBe('tickflow: TICKFLOW_LOG must be one of text, json, got "yaml" [LOG_FORMAT_INVALID]\n');
  }, 120_000);

  it("tickflow simulate says how many messages were new and how many the stream already held; progress as lines without a terminal", async () => {
    const args = ["simulate", "--symbols", "ZZZ", "--seed", "9", "--start", "2024-03-01T00:00:00Z", "--count", "500"];
    const first = tickflow(args, env);
    expect(await first.exited, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^published 500 messages in [\d.]+ s \(\d+ msg\/s\): 500 new, 0 already stored$/m);
    expect(first.stderr).toContain("simulate: 500/500 messages (100%)");
    expect(first.stderr).not.toContain("\r");
    const again = tickflow(args, env);
    expect(await again.exited, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/: 0 new, 500 already stored \(same seed and start as an earlier feed/);
    // The default start is the wall clock: a second feed with the same seed is new.
    const now = tickflow(["simulate", "--symbols", "ZZZ", "--seed", "9", "--count", "200"], env);
    expect(await now.exited, now.stderr).toBe(0);
    expect(now.stdout).toMatch(/: 200 new, 0 already stored$/m);
  });

  it("tickflow start prints signals from its simulated feed and shuts down cleanly on SIGINT", async () => {
    const start = tickflow(["start", "--symbols", "AAPL,MSFT", "--rate", "4000", "--http-port", "0"], env);
    await until("a signal line", start, () => /Z {2}(BUY |SELL) /.test(start.stdout), 90_000);
    start.child.kill("SIGINT");
    expect(await start.exited, start.stderr).toBe(0);
    expect(start.stderr).toMatch(/tickflow: running momentum-sentiment \(run start-\d{4}-\d\d-\d\dT\d\d-\d\d,/);
    expect(digestOf(start.stdout)).toBeDefined();
    // NATS_URL names a running server: start used it and left it running.
    expect(start.stderr).not.toMatch(/nats-server stopped/);
    expect(nats.nc.isClosed()).toBe(false);
  }, 120_000);
});
