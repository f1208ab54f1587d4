// The recording is checked: a live run refuses to start when its recording lacks inputs its JetStream consumers
// acknowledged (an older copy of the file, a lost WAL, a new file) and the stream cannot give them again, and resumes
// (reading again) when it can; commands refuse a damaged DuckDB file with a clear message that points at a restore.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { checkRecording, judgeLane, RecordingBehindError, type LaneFacts } from "../../app/recordingCheck.ts";
import { Database } from "../../io/duckdb/database.ts";
import { latestCheckpointInput } from "../../replay/checkpoints.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import type { JetStreamPosition } from "../../sources/jetstreamInput.ts";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { startNats, stopNats, withNats } from "../helpers/nats.ts";

const ROOT = join(import.meta.dirname, "../..");
const PIPELINE = join(ROOT, "pipelines", "momentum-sentiment.yaml");

function feedOf(count: number): OutgoingMessage[] {
  const feed: OutgoingMessage[] = [];
  for (const m of simulate({ symbols: ["AAPL", "MSFT"], seed: 9, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 2 })) {
    feed.push(toOutgoing(m));
    if (feed.length === count) break;
  }
  return feed;
}

/** Runs `runId` on the recording at `path` until it has processed `until` inputs in all, stops it and closes the file. */
async function runUntil(nc: NatsConnection, path: string, runId: string, until: number): Promise<{ summary: RunSummary; resumedFrom?: bigint }> {
  const db = await Database.open(path);
  try {
    const live = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc, db, runId, print: () => {} });
    await live.start();
    await live.waitFor(() => live.run.counters.inputs >= until, 60_000);
    return { summary: await live.stop(), resumedFrom: live.resumedFrom };
  } finally {
    await db.close();
  }
}

/** Starts `runId` on the recording at `path` and returns why it was refused. */
async function refusal(nc: NatsConnection, path: string, runId: string): Promise<unknown> {
  const db = await Database.open(path);
  try {
    const live = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc, db, runId, print: () => {} });
    return await live.start().then(
      () => live.stop().then(() => new Error("the run started")),
      (e: unknown) => e,
    );
  } finally {
    await db.close();
  }
}

/** Puts a copy in place of the recording, as a user restoring a file by hand would (no WAL beside it). */
function replaceWith(path: string, copy: string): void {
  rmSync(`${path}.wal`, { force: true });
  copyFileSync(copy, path);
}

async function checkOf(nc: NatsConnection, path: string, runId: string): Promise<{ notices: string[]; error?: unknown }> {
  const db = await Database.open(path);
  const notices: string[] = [];
  try {
    await checkRecording({ nc, db, pipeline: await loadPipeline(PIPELINE), runId, notice: (l) => notices.push(l) });
    return { notices };
  } catch (error) {
    return { notices, error };
  } finally {
    await db.close();
  }
}

async function ackFloors(nc: NatsConnection, runId: string): Promise<{ trades: number; news: number }> {
  const jsm = await jetstreamManager(nc);
  return {
    trades: (await jsm.consumers.info("MARKET", `${runId}_trades_0`)).ack_floor.stream_seq,
    news: (await jsm.consumers.info("NEWS", `${runId}_news_1`)).ack_floor.stream_seq,
  };
}

async function tradesFloor(path: string, runId: string): Promise<bigint> {
  const db = await Database.open(path);
  try {
    const cp = await latestCheckpointInput(db, runId);
    return (cp!.input as JetStreamPosition).lanes[0]!.floor;
  } finally {
    await db.close();
  }
}

describe("judgeLane", () => {
  const lane: LaneFacts = { source: "trades", subject: "md.trades.>", stream: "MARKET", durable: "r_trades_0", firstSeq: 1n };
  it("without a checkpoint, refuses any acknowledged input (a 2.9 server reports 0 before the first ack)", () => {
    expect(judgeLane({ ...lane })).toEqual({});
    expect(judgeLane({ ...lane, ackFloor: 0n })).toEqual({});
    expect(judgeLane({ ...lane, ackFloor: 7n }).behind).toBe("consumer r_trades_0 on MARKET (md.trades.>) has acknowledged up to stream sequence 7");
  });
  it("with a checkpoint below the ack floor, reads again what the stream holds and refuses what it lost", () => {
    const cp = { floor: 100n, above: [103n] };
    expect(judgeLane({ ...lane, ackFloor: 90n, checkpoint: cp })).toEqual({});
    expect(judgeLane({ ...lane, ackFloor: 150n, checkpoint: cp }).notice).toMatch(/reading 101\.\.150 again from MARKET/);
    expect(judgeLane({ ...lane, ackFloor: 150n, firstSeq: 101n, checkpoint: cp }).notice).toBeDefined();
    const gap = judgeLane({ ...lane, ackFloor: 150n, firstSeq: 120n, checkpoint: cp });
    expect(gap.behind).toMatch(/MARKET no longer holds sequences 101\.\.119 \(its first is 120: retention or a purge\)/);
    // What the stream lost was committed above the floor: nothing is missing.
    expect(judgeLane({ ...lane, ackFloor: 150n, firstSeq: 102n, checkpoint: { floor: 100n, above: [101n] } }).behind).toBeUndefined();
  });
  it("notices what the stream lost that the run never read, and goes on", () => {
    const v = judgeLane({ ...lane, ackFloor: 100n, firstSeq: 200n, checkpoint: { floor: 100n, above: [] } });
    expect(v.behind).toBeUndefined();
    // Nothing committed on a lane read from the first message: what expired may have expired before the run began.
    expect(judgeLane({ ...lane, ackFloor: 0n, firstSeq: 200n, checkpoint: { floor: 0n, above: [] } })).toEqual({});
    expect(v.notice).toBe(
      "MARKET no longer holds stream sequences 101..199 (retention or a purge), which the run had not read on md.trades.>: it continues at 200",
    );
  });
});

describe("the start check (real nats-server, real DuckDB)", () => {
  it("refuses a copy without the run's checkpoint, resumes from the latest or an older copy, refuses a gap the stream cannot fill", async () => {
    await withNats(async ({ nc }) => {
      const { dir, cleanup } = tempDir();
      const rec = join(dir, "rec.duckdb");
      const copy = (name: string): string => {
        const to = join(dir, `${name}.duckdb`);
        copyFileSync(rec, to);
        return to;
      };
      try {
        const feed = feedOf(9_000);
        const publisher = new JetStreamPublisher(nc, { inFlight: 512 });
        await (await Database.open(rec)).close();
        const empty = copy("empty");

        await publisher.publishAll(feed.slice(0, 3_000));
        expect((await runUntil(nc, rec, "r", 3_000)).resumedFrom).toBeUndefined();
        const early = copy("early");
        await publisher.publishAll(feed.slice(3_000, 6_000));
        expect((await runUntil(nc, rec, "r", 6_000)).resumedFrom).toBeGreaterThan(0n);
        const latest = copy("latest");
        const acked = await ackFloors(nc, "r");
        expect(acked.trades).toBeGreaterThan(0);

        // (i) A file without the run's checkpoint (deleted and created anew, or a copy from before the run).
        replaceWith(rec, empty);
        const e = await refusal(nc, rec, "r");
        expect(e).toBeInstanceOf(RecordingBehindError);
        const msg = (e as Error).message;
        expect(msg).toContain(`run r: consumer r_trades_0 on MARKET (md.trades.>) has acknowledged up to stream sequence ${acked.trades}`);
        expect(msg).toContain(`consumer r_news_1 on NEWS (news.>) has acknowledged up to stream sequence ${acked.news}`);
        expect(msg).toContain(`but the recording ${rec} has no checkpoint of the run (there is no record of run r)`);
        expect(msg).toContain("tickflow restore <backup-dir> --force");
        expect(msg).toContain("another --run-id");
        expect(msg).toContain("nats consumer rm MARKET r_trades_0; nats consumer rm NEWS r_news_1");
        expect((e as RecordingBehindError).code).toBe("RECORDING_BEHIND");
        // Refused before writing anything to the recording.
        const db = await Database.open(rec);
        expect((await db.query<{ n: bigint }>("SELECT count(*) n FROM information_schema.tables"))[0]!.n).toBe(0n);
        await db.close();

        // (ii) The copy at the latest state resumes without a word, and the run goes on to the end of the feed.
        replaceWith(rec, latest);
        expect(await checkOf(nc, rec, "r")).toEqual({ notices: [] });
        await publisher.publishAll(feed.slice(6_000));
        const resumed = await runUntil(nc, rec, "r", 9_000);
        expect(resumed.resumedFrom).toBeGreaterThan(0n);
        const whole = await runUntil(nc, rec, "whole", 9_000);
        expect(resumed.summary.digest).toBe(whole.summary.digest);

        // An older copy with the run's checkpoint: the stream still holds what the lost transactions recorded, so the
        // run reads it again (one notice per lane) and ends exactly where the uninterrupted run ends.
        replaceWith(rec, early);
        const check = await checkOf(nc, rec, "r");
        expect(check.error).toBeUndefined();
        expect(check.notices).toHaveLength(2);
        expect(check.notices[0]).toMatch(
          /^tickflow: run r: the recording is behind consumer r_trades_0 on MARKET \(md\.trades\.>\): acknowledged up to stream sequence \d+/,
        );
        const again = await runUntil(nc, rec, "r", 9_000);
        expect(again.summary.counters.inputs).toBe(9_000);
        expect(again.summary.digest).toBe(whole.summary.digest);
        const [once] = await Database.open(rec).then(async (d) => {
          try {
            return await d.query<{ n: bigint; ids: bigint }>("SELECT count(*) n, count(DISTINCT id) ids FROM run_inputs WHERE run_id = 'r'");
          } finally {
            await d.close();
          }
        });
        expect(once).toEqual({ n: 9_000n, ids: 9_000n });
        const done = copy("done");

        // (iii) The stream purged above the older copy's checkpoint: those acknowledged inputs are gone for good.
        const floor = await tradesFloor(early, "r");
        const jsm = await jetstreamManager(nc);
        await jsm.streams.purge("MARKET", { seq: Number(floor) + 50 });
        replaceWith(rec, early);
        const gap = await refusal(nc, rec, "r");
        expect(gap).toBeInstanceOf(RecordingBehindError);
        expect((gap as Error).message).toMatch(
          new RegExp(`^run r: the recording ${rec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(checkpoint \\d+\\) is behind its consumers: consumer r_trades_0`),
        );
        expect((gap as Error).message).toContain(
          `MARKET no longer holds sequences ${floor + 1n}..${floor + 49n} (its first is ${floor + 50n}: retention or a purge)`,
        );
        expect((gap as Error).message).toContain("tickflow restore <backup-dir> --force");
        // Purged below the checkpoint of the latest recording: nothing it needs is gone.
        replaceWith(rec, done);
        expect(await checkOf(nc, rec, "r")).toEqual({ notices: [] });
      } finally {
        cleanup();
      }
    });
  }, 240_000);
});

// ---- damaged copies of a recording, opened by the commands (compiled dist/: `npm run build` first) ----

const BIN = join(ROOT, "bin", "tickflow.js");

function tickflow(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ status: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Flips 16 bytes at `offset` of a file. */
function flip(path: string, offset: number): void {
  const b = readFileSync(path);
  for (let i = 0; i < 16; i++) b[offset + i] = b[offset + i]! ^ 0xff;
  writeFileSync(path, b);
}

/** DuckDB's file: three 4 KiB headers, then 256 KiB blocks (each with its checksum). */
const blockOffset = (id: bigint): number => 12_288 + Number(id) * 262_144;

describe("a damaged recording (tickflow sql, replay and run as processes)", () => {
  it("is refused by each command within seconds, with a message pointing at tickflow restore: no stack, no hang", async () => {
    const nats = await startNats();
    const { dir, cleanup } = tempDir();
    try {
      const rec = join(dir, "rec.duckdb");
      await new JetStreamPublisher(nats.nc, { inFlight: 512 }).publishAll(feedOf(2_000));
      await runUntil(nats.nc, rec, "r", 2_000);
      // Where the data of trades lies (read by sql and replay; DuckDB checks a block's checksum when it reads it).
      const db = await Database.open(rec);
      const [trades] = await db.query<{ b: bigint }>("SELECT max(block_id) b FROM pragma_storage_info('trades') WHERE block_id >= 0");
      await db.close();
      const size = statSync(rec).size;
      const damaged: Record<string, (path: string) => void> = {
        "truncated to half": (p) => writeFileSync(p, readFileSync(p).subarray(0, Math.floor(size / 2))),
        "truncated to its header": (p) => writeFileSync(p, readFileSync(p).subarray(0, 4096)),
        "flipped in the header": (p) => flip(p, 100),
        "flipped in a block of trades": (p) => flip(p, blockOffset(trades!.b) + 1000),
        // Every copy of a checkpoint's input position (the part of the state a run reads first).
        "flipped in the checkpoints": (p) => {
          for (let at = readFileSync(p).indexOf('"lanes"'); at >= 0; at = readFileSync(p).indexOf('"lanes"', at + 16)) flip(p, at);
        },
      };
      const commands: [string, string[]][] = [
        ["sql", ["sql", "SELECT sum(price), count(*) FROM trades"]],
        ["replay", ["replay", PIPELINE, "--no-record"]],
        ["run", ["run", PIPELINE, "--run-id", "r", "--quiet"]],
      ];
      for (const [what, damage] of Object.entries(damaged)) {
        for (const [name, args] of commands) {
          // Reading commands do not touch checkpoints; a run reads them first.
          if (what.includes("trades") && name === "run") continue;
          if (what.includes("checkpoints") && name !== "run") continue;
          const copy = join(dir, "copy.duckdb");
          rmSync(copy, { force: true });
          rmSync(`${copy}.wal`, { force: true });
          rmSync(`${copy}.audit-anchor`, { force: true });
          copyFileSync(rec, copy);
          damage(copy);
          const env = { ...process.env, TICKFLOW_DB: copy, TICKFLOW_DATA: dir, NATS_URL: nats.url, TICKFLOW_HTTP_PORT: "0" };
          const r = await tickflow(args, env);
          const where = `${name} on a copy ${what}: ${r.stderr}`;
          expect(r.status, where).toBe(78); // refused (RECORDING_CORRUPT): restarting cannot mend the file
          expect(r.ms, where).toBeLessThan(20_000);
          expect(r.stderr, where).toMatch(new RegExp(`^tickflow: the recording ${copy.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is damaged \\(DuckDB: `, "m"));
          expect(r.stderr, where).toContain("tickflow restore <backup-dir> --force");
          expect(r.stderr, where).toContain("[RECORDING_CORRUPT]");
          expect(r.stderr, where).not.toMatch(/^\s+at /m);
          expect(r.stderr, where).not.toContain("open in another tickflow process");
          expect(existsSync(copy), where).toBe(true);
        }
      }
    } finally {
      await stopNats(nats);
      cleanup();
    }
  }, 240_000);
});
