// An exclusive lock between processes: a lock file created with O_EXCL that holds the owner's pid. A lock whose
// process is gone (a crashed writer) is taken over; a live one is waited for, then refused.
import { readFileSync, rmSync } from "node:fs";
import { createPrivateFile } from "./privateFile.ts";

/** Who holds a lock that could not be taken: the pid in the lock file, when it names one. */
export type LockBusy = (holderPid: number | undefined) => Error;

/**
 * Runs `fn` holding the lock file `lock`, waiting up to `timeoutMs` (0: one attempt) for another holder.
 * @param busy the error to throw when the lock stays taken
 */
export function withFileLock<T>(lock: string, timeoutMs: number, fn: () => T, busy: LockBusy): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      createPrivateFile(lock, `${process.pid}\n`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = lockHolder(lock);
    if (pid !== undefined && !processAlive(pid)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw busy(pid);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25); // a synchronous sleep: the callers are synchronous
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // removed meanwhile, or torn by a crash right after its creation
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}
