// The process environment of a tickflow command: configuration, the local nats-server, connections, the DuckDB
// file, Ctrl-C. Shared by the CLI and the live composition (app/livePipeline.ts).
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { ensureJobsBucket } from "./jobLock.ts";
import { loadConfig, type Config } from "../io/config.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { ensureNatsServerInstalled, waitForPort } from "../io/nats/natsServer.ts";
import { ensureStreams } from "../io/nats/streams.ts";
import { MODEL_BUCKET, type NatsRole } from "../io/nats/auth.ts";
import { prepareLocalAuth, roleConnection } from "./credentials.ts";
import { processAlive } from "./processFiles.ts";
import { secretsFile } from "../io/secrets.ts";
import { Database } from "../io/duckdb/database.ts";
import { within } from "../core/retry.ts";
import { redactUrl } from "../core/redact.ts";
import { processLog } from "./log.ts";
import { isRecordingDamage, RecordingCorruptError } from "./recordingCheck.ts";

const REPO_ROOT = PACKAGE_ROOT;

export function config(): Config {
  return loadConfig();
}

/** A lifecycle line of the process log (text or JSON, app/log.ts). */
const log = (line: string, event = "process"): void => processLog().lines(event)(line);

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
 * points elsewhere). Returns whether this call started it. A server started here belongs to this command and is
 * stopped when the process exits, however it exits (see `ownLocalNats`); `keep` (`tickflow up`) leaves it running
 * until `tickflow down`.
 */
export async function ensureLocalNats(cfg: Config, o: { keep?: boolean } = {}): Promise<{ started: boolean }> {
  if (await reachable(cfg.natsUrl)) return { started: false };
  if (cfg.natsUrlFromEnv) throw new Error(`NATS_URL=${redactUrl(cfg.natsUrl)} does not answer; start that server or unset NATS_URL to use the local one`);
  const bin = ensureNatsServerInstalled(log);
  mkdirSync(join(REPO_ROOT, "data", "nats"), { recursive: true });
  // nats.conf includes data/nats-auth.conf: one user per role, bcrypt hashes of the passwords kept encrypted in the
  // secrets store (generated here on first start).
  const generated = prepareLocalAuth(cfg, join(REPO_ROOT, "data", "nats-auth.conf"));
  if (generated.length > 0)
    log(
      `tickflow: generated credentials ${generated.join(", ")} (encrypted in ${secretsFile(cfg.dataDir)}; every tickflow command finds them)`,
      "credentials.generated",
    );
  const out = openSync(join(REPO_ROOT, "data", "nats.log"), "a");
  const child = spawn(bin, ["-c", join(REPO_ROOT, "nats.conf")], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", out, out] });
  child.unref();
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${bin} (see data/nats.log)`);
  writeFileSync(PID_FILE, String(pid));
  // Owned before it answers: a server that does not come up is stopped too.
  if (!o.keep) ownLocalNats(pid);
  try {
    await waitForPort(urlPort(cfg.natsUrl).port, 10_000);
  } catch (e) {
    throw new Error(`nats-server (pid ${pid}) did not answer on ${redactUrl(cfg.natsUrl)} within 10 s; see data/nats.log`, { cause: e });
  }
  log(
    `tickflow: nats-server started (pid ${pid}, ${redactUrl(cfg.natsUrl)}, store data/nats, log data/nats.log); ` +
      (o.keep ? "`tickflow down` stops it" : "it stops when this command ends"),
    "nats.local_started",
  );
  return { started: true };
}

const PID_FILE = join(REPO_ROOT, "data", "nats.pid");

/** The nats-server this command started implicitly; stopped at exit. */
let owned: number | undefined;

/**
 * Makes the server `pid` stop with this process: on any exit (normal, error, process.exit after EPIPE or a second
 * Ctrl-C) through a synchronous 'exit' handler, and on SIGINT/SIGTERM/SIGHUP when nothing else handles them (Node
 * would otherwise die without running 'exit' handlers; a command with its own handler ends itself, then exits).
 */
function ownLocalNats(pid: number): void {
  owned = pid;
  process.once("exit", stopOwnedNatsSync);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(code);
    });
  }
}

/** Stops the owned server from the 'exit' handler: no event loop any more, so it waits synchronously (up to 5 s). */
function stopOwnedNatsSync(): void {
  const pid = owned;
  if (pid === undefined) return;
  owned = undefined;
  if (readPid() === pid) rmSync(PID_FILE, { force: true });
  if (terminate(pid)) log(`tickflow: nats-server stopped (pid ${pid}, started by this command)`, "nats.local_stopped");
}

/**
 * SIGTERM, then SIGKILL if `pid` still runs after 5 s. Synchronous (an 'exit' handler has no event loop): false when
 * there was no such process.
 */
function terminate(pid: number): boolean {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return false; // already gone
  }
  const wait = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  while (processAlive(pid) && Date.now() < deadline) Atomics.wait(wait, 0, 0, 20);
  if (processAlive(pid)) process.kill(pid, "SIGKILL");
  return true;
}

function readPid(): number | undefined {
  try {
    return Number(readFileSync(PID_FILE, "utf8"));
  } catch {
    return undefined;
  }
}

/** Stops the server `ensureLocalNats` started (by its pid file). */
export async function stopLocalNats(): Promise<boolean> {
  if (!existsSync(PID_FILE)) return false;
  const pid = Number(readFileSync(PID_FILE, "utf8"));
  rmSync(PID_FILE, { force: true });
  if (owned === pid) owned = undefined;
  return terminate(pid);
}

/**
 * Connects as `role` (io/nats/auth.ts: its own user, least privilege) with unlimited reconnects (the default gives
 * up after ~10), and makes sure the streams and the model bucket exist: through this connection when it may manage
 * them (admin, or a server without authentication), else through a short admin connection when the local
 * credentials include admin's. A server that refuses the first connect fails at once with what to do; a
 * half-opened connection is closed on failure.
 */
export async function connectNats(cfg: Config, role: NatsRole): Promise<NatsConnection> {
  const access = roleConnection(cfg, role);
  const nc = await open(cfg, role, access);
  try {
    if (role === "admin" || access.source === "none") await ensureInfrastructure(nc);
    else if (access.source === "secrets" && roleConnection(cfg, "admin").source === "secrets") {
      // The local setup (`tickflow up` stored admin's password): streams made or updated as admin. A role's
      // password without admin's is a server managed elsewhere: this command creates nothing.
      const admin = await open(cfg, "admin", roleConnection(cfg, "admin"));
      try {
        await ensureInfrastructure(admin);
      } finally {
        await admin.close().catch(() => undefined);
      }
    }
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw new Error(`NATS at ${access.url}: cannot create or update the streams (is JetStream enabled?): ${(e as Error).message}`, { cause: e });
  }
  return nc;
}

async function open(cfg: Config, role: NatsRole, access: ReturnType<typeof roleConnection>): Promise<NatsConnection> {
  try {
    return await connect({ ...access.options, maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 5000, name: `tickflow-${role}` });
  } catch (e) {
    const message = (e as Error).message;
    const hint = /authori[sz]ation/i.test(message)
      ? access.source === "none"
        ? "the server requires credentials: `tickflow up` generates them for the local server; for your own, put user:password in NATS_URL or store the role's password with `tickflow secrets set nats/<role>` (docs/security.md)"
        : access.source === "secrets"
          ? `the ${role} password in ${secretsFile(cfg.dataDir)} was refused: was the server started from another TICKFLOW_DATA? \`tickflow down\` then \`tickflow up\` writes its users again`
          : "the user or password in NATS_URL was refused"
      : cfg.natsUrlFromEnv
        ? "start that server or fix NATS_URL"
        : "start it with `tickflow up`";
    throw new Error(`cannot connect to NATS at ${access.url} as ${role}: ${message}; ${hint}`, { cause: e });
  }
}

/** The streams (schemas/kinds.ts STREAMS) and the model deployment bucket, created or updated. */
async function ensureInfrastructure(nc: NatsConnection): Promise<void> {
  await ensureStreams(nc);
  await new Kvm(nc).create(MODEL_BUCKET, { history: 10 });
  await ensureJobsBucket(nc);
}

/**
 * Drains `nc` (what is still buffered goes out) for at most `graceMs`, then closes it: a drain never settles while
 * the server is away. Resolves whether the drain completed.
 */
export async function closeNats(nc: NatsConnection, graceMs = 3000): Promise<boolean> {
  if (nc.isClosed()) return true;
  const drained = await within(
    nc.drain().then(
      () => true,
      () => false,
    ),
    graceMs,
    false,
  );
  if (!drained)
    await within(
      nc.close().catch(() => undefined),
      1000,
      undefined,
    );
  return drained;
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
    if (isRecordingDamage(e)) throw new RecordingCorruptError(cfg.dbPath, e);
    const msg = (e as Error).message;
    if (/Could not set lock on file/i.test(msg))
      throw new Error(`${cfg.dbPath} is open in another tickflow process (DuckDB allows one writer per file); stop it or set TICKFLOW_DB`);
    throw e;
  }
}

/** Runs `fn` until it resolves or the user presses Ctrl-C (then `onStop` runs first). */
export function onInterrupt(onStop: () => Promise<void>): () => void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) {
      log("tickflow: second interrupt: exiting now", "process.interrupted");
      process.exit(130);
    }
    stopping = true;
    log("tickflow: stopping: draining consumers, flushing sinks (Ctrl-C again to exit at once) ...", "run.stopping");
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
