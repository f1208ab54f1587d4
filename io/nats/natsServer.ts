// Starts and stops a local nats-server process: for `tickflow up` (repo nats.conf) and for tests (free port, temp store).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TickflowError } from "../../core/errors.ts";
import { within } from "../../core/retry.ts";

export class NatsServerNotInstalledError extends TickflowError {
  static override readonly code = "NATS_SERVER_NOT_INSTALLED";
  static override readonly refusal = true;
  override readonly name = "NatsServerNotInstalledError";
  constructor() {
    super(
      "nats-server is not installed. Install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu), " +
        "or point NATS_URL at a running server with JetStream enabled.",
    );
  }
}

export function findNatsServer(): string | undefined {
  for (const p of ["/usr/bin/nats-server", "/usr/local/bin/nats-server", "/usr/sbin/nats-server"]) if (existsSync(p)) return p;
  const r = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Installs Debian's nats-server when we are root and apt-get exists; otherwise throws with how to install it. */
export function ensureNatsServerInstalled(log: (line: string) => void = () => {}): string {
  const found = findNatsServer();
  if (found) return found;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !existsSync("/usr/bin/apt-get")) throw new NatsServerNotInstalledError();
  log("nats-server not found: installing Debian's nats-server with apt-get ...");
  spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
  const r = spawnSync("apt-get", ["install", "-y", "-qq", "nats-server"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const after = findNatsServer();
  if (r.status !== 0 || !after) throw new NatsServerNotInstalledError();
  return after;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ port, host: "127.0.0.1" }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LocalNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The running process (a new one after `restart()`). */
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /**
   * Stops the process and starts it again on the same port and store: what a client sees when the server restarts
   * (tests of reconnects and redelivery). Resolves once the server accepts connections again.
   */
  restart(): Promise<void>;
}

/** A throwaway JetStream server on a free port with a temporary store: for tests and benchmarks. */
export async function startTempNatsServer(opts: { keepStore?: boolean; config?: string } = {}): Promise<LocalNatsServer> {
  const bin = ensureNatsServerInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tickflow-nats-"));
  const storeDir = join(dir, "js");
  mkdirSync(storeDir);
  const conf = join(dir, "nats.conf");
  // `config`: more of the server configuration (an authorization block, tls), appended.
  writeFileSync(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${storeDir}", max_memory_store: 256MB, max_file_store: 4GB }\n${opts.config ?? ""}`, {
    mode: 0o600,
  });
  let stderr = "";
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, 10_000);
    } catch (e) {
      child.kill("SIGKILL");
      throw new Error(`${(e as Error).message}\n${stderr}`);
    }
    return child;
  };
  const halt = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await within(exited, 5000, undefined);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      // A restart must not find the old process still holding the port.
      await within(exited, 2000, undefined);
    }
  };
  let child = await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get process() {
      return child;
    },
    async stop() {
      await halt(child);
      if (!opts.keepStore) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt(child);
      child = await launch();
    },
  };
}
