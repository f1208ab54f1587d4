// Files only their owner may read (mode 0600), written durably: created exclusively or replaced atomically, each
// fsynced with its directory, so a crash leaves the old content or the new one, never half of one.
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

/** Writes a new file with mode 0600 and fsyncs it and its directory; fails with EEXIST when `path` exists. */
export function createPrivateFile(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDirectory(dirname(path));
}

/** Replaces (or creates) `path` atomically with mode 0600: a temp file beside it, fsynced, renamed over it. */
export function replacePrivateFile(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    createPrivateFile(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(path));
}

/** Renames `from` over `to` and fsyncs the directory, so the rename itself survives a crash. */
export function renameDurably(from: string, to: string): void {
  renameSync(from, to);
  fsyncDirectory(dirname(to));
}

/** Makes the entries of `dir` (a create, a rename) durable. Some platforms cannot open a directory: then the rename is as durable as they make it. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on Windows: directories cannot be fsynced there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What reading a private file found: its bytes, or why they are not to be used. */
export type PrivateRead =
  | { readonly data: Buffer }
  | { readonly problem: "missing" | "not-a-file" | "unreadable"; readonly code?: string }
  | { readonly problem: "open-to-others"; readonly mode: number };

/**
 * Reads a file only its owner may read (as ssh refuses a private key others can read). The mode checked is the
 * opened file's, so nothing can swap the file between the check and the read.
 */
export function readPrivateFile(path: string): PrivateRead {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === "ENOENT" ? "missing" : "unreadable", code: code ?? (e as Error).message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: "not-a-file" };
    if ((st.mode & 0o077) !== 0) return { problem: "open-to-others", mode: st.mode };
    return { data: readFileSync(fd) };
  } catch (e) {
    return { problem: "unreadable", code: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** The permission bits as `ls -l` shows them in octal, e.g. "644". */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, "0");
}
