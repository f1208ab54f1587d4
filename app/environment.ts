// The process environment of a tickflow command: configuration, the local nats-server, connections, the DuckDB
// file, Ctrl-C. Shared by the CLI and the live composition (app/livePipeline.ts).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadConfig, type Config } from "../io/config.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { ensureNatsServerInstalled, waitForPort } from "../io/nats/natsServer.ts";
import { ensureStreams } from "../io/nats/streams.ts";
import { Database } from "../io/duckdb/database.ts";

const REPO_ROOT = PACKAGE_ROOT;

export function config(): Config {
  return loadConfig();
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function urlPort(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^nats:/, "http:"));
  return { host: u.hostname, port: Number(u.port || 4222) };
}

async function reachable(url: string): Promise<boolean> {
  try {
    await waitForPort(urlPort(url).port, 300);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the local nats-server from the repository's nats.conf unless one answers already (or NATS_URL
 * points elsewhere). Returns whether this call started it.
 */
export async function ensureLocalNats(cfg: Config): Promise<{ started: boolean }> {
  if (await reachable(cfg.natsUrl)) return { started: false };
  if (cfg.natsUrlFromEnv) throw new Error(`NATS_URL=${cfg.natsUrl} does not answer; start that server or unset NATS_URL to use the local one`);
  const bin = ensureNatsServerInstalled(log);
  mkdirSync(join(REPO_ROOT, "data", "nats"), { recursive: true });
  const out = openSync(join(REPO_ROOT, "data", "nats.log"), "a");
  const child = spawn(bin, ["-c", join(REPO_ROOT, "nats.conf")], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", out, out] });
  child.unref();
  writeFileSync(join(REPO_ROOT, "data", "nats.pid"), String(child.pid));
  await waitForPort(urlPort(cfg.natsUrl).port, 10_000);
  log(`nats-server started (pid ${child.pid}, ${cfg.natsUrl}, store data/nats, log data/nats.log)`);
  return { started: true };
}

/** Stops the server `ensureLocalNats` started (by its pid file). */
export async function stopLocalNats(): Promise<boolean> {
  const pidFile = join(REPO_ROOT, "data", "nats.pid");
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, "utf8"));
  rmSync(pidFile, { force: true });
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return false;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      return true;
    }
  }
  process.kill(pid, "SIGKILL");
  return true;
}

/** Connects with unlimited reconnects (the default gives up after ~10) and makes sure the streams exist. */
export async function connectNats(cfg: Config): Promise<NatsConnection> {
  const nc = await connect({ servers: cfg.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 1000, name: "tickflow" });
  await ensureStreams(nc);
  return nc;
}

/**
 * Opens the recording. Commands that read it (`{ mustExist: true }`) refuse a file that is not there instead of
 * silently creating an empty one, which would answer "0 inputs" and a digest for a mistyped TICKFLOW_DB.
 */
export async function openDatabase(cfg: Config, o: { mustExist?: boolean } = {}): Promise<Database> {
  if (o.mustExist && !existsSync(cfg.dbPath)) {
    throw new Error(
      `no recording at ${cfg.dbPath}${process.env.TICKFLOW_DB ? " (TICKFLOW_DB)" : ""}: record one with tickflow run or tickflow import, or set TICKFLOW_DB to an existing file`,
    );
  }
  try {
    return await Database.open(cfg.dbPath);
  } catch (e) {
    const msg = (e as Error).message;
    if (/lock/i.test(msg)) throw new Error(`${cfg.dbPath} is open in another tickflow process (DuckDB allows one writer per file); stop it or set TICKFLOW_DB`);
    throw e;
  }
}

/** Runs `fn` until it resolves or the user presses Ctrl-C (then `onStop` runs first). */
export function onInterrupt(onStop: () => Promise<void>): () => void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) {
      log("second interrupt: exiting now");
      process.exit(130);
    }
    stopping = true;
    log("stopping: draining consumers, flushing sinks ...");
    void onStop();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

/** Run ids name the mode, the pipeline and the wall-clock start, e.g. live-momentum-sentiment-2026-11-29T19-40-00-000Z. */
export function defaultRunId(mode: "live" | "replay", pipeline: string): string {
  return `${mode}-${pipeline}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
}
