// Starts and stops a local nats-server process: for `tickflow up` (repo nats.conf) and for tests (free port, temp store).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class NatsServerNotInstalledError extends Error {
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
      const s = tcpConnect({ port, host: "127.0.0.1" }, () => { s.destroy(); resolve(true); });
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
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A throwaway JetStream server on a free port with a temporary store: for tests and benchmarks. */
export async function startTempNatsServer(opts: { keepStore?: boolean } = {}): Promise<LocalNatsServer> {
  const bin = ensureNatsServerInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tickflow-nats-"));
  const storeDir = join(dir, "js");
  mkdirSync(storeDir);
  const conf = join(dir, "nats.conf");
  writeFileSync(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${storeDir}", max_memory_store: 256MB, max_file_store: 4GB }\n`);
  const child = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  try {
    await waitForPort(port, 10_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (!opts.keepStore) rmSync(dir, { recursive: true, force: true });
    },
  };
}
