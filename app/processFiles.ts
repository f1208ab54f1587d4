// Which live pipelines run on this machine: each running `tickflow run` keeps `<data>/run/<run id>.json` (pid, HTTP
// address, start) while it runs, so `tickflow status` finds them without the recording, which the run holds open
// (DuckDB admits one writing process per file). A process killed with -9 leaves its file; status tells it is gone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ProcessFile {
  readonly runId: string;
  readonly pipeline: string;
  readonly pid: number;
  /** The run's HTTP server (dashboard, /api/status, /readyz), or null when it has none. */
  readonly url: string | null;
  readonly startedAt: string;
}

const dirOf = (dataDir: string): string => join(dataDir, "run");
const fileOf = (dataDir: string, runId: string): string => join(dirOf(dataDir), `${encodeURIComponent(runId)}.json`);

export function writeProcessFile(dataDir: string, p: ProcessFile): void {
  try {
    mkdirSync(dirOf(dataDir), { recursive: true });
    writeFileSync(fileOf(dataDir, p.runId), `${JSON.stringify(p)}\n`);
  } catch {
    // Status is a convenience: a read-only data directory must not stop a run.
  }
}

export function removeProcessFile(dataDir: string, runId: string): void {
  rmSync(fileOf(dataDir, runId), { force: true });
}

/** The process files of `dataDir`, unreadable ones skipped. */
export function readProcessFiles(dataDir: string): ProcessFile[] {
  let names: string[];
  try {
    names = readdirSync(dirOf(dataDir)).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: ProcessFile[] = [];
  for (const n of names.sort()) {
    try {
      out.push(JSON.parse(readFileSync(join(dirOf(dataDir), n), "utf8")) as ProcessFile);
    } catch {
      // Half-written or foreign: not a run.
    }
  }
  return out;
}

const HAS_PROC = existsSync("/proc/self/stat");

/**
 * Whether process `pid` still runs. A child that exited stays a zombie until reaped, which kill(pid, 0) cannot tell:
 * /proc can. Elsewhere signal 0 probes it (EPERM: it runs, as another user).
 */
export function processAlive(pid: number): boolean {
  if (HAS_PROC) {
    try {
      return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
