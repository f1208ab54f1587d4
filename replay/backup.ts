// Backups of the recording: a consistent Parquet export of the whole DuckDB database (EXPORT DATABASE) with a
// manifest (tickflow version, time, tables with row counts, a sha256 per file), and its restore into a new file
// (IMPORT DATABASE), checked file by file against the manifest first and table by table against it after.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TickflowError } from "../core/errors.ts";
import { Database } from "../io/duckdb/database.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";

/** A directory is not a tickflow backup, or one of its files is missing or not what the manifest says. */
export class BackupInvalidError extends TickflowError {
  static override readonly code = "BACKUP_INVALID";
  override readonly name = "BackupInvalidError";
}

/** A restore would replace an existing recording, and `--force` was not given. */
export class RestoreTargetExistsError extends TickflowError {
  static override readonly code = "RESTORE_TARGET_EXISTS";
  override readonly name = "RestoreTargetExistsError";
}

/** The manifest's file name in a backup directory. */
export const MANIFEST = "tickflow-backup.json";
const FORMAT = "tickflow-backup";
const FORMAT_VERSION = 1;

export interface BackupManifest {
  readonly format: typeof FORMAT;
  readonly formatVersion: number;
  readonly tickflow: string;
  /** The DuckDB library version that wrote the export (its Parquet files and schema.sql). */
  readonly duckdb: string;
  /** ISO-8601, wall clock of the backup. */
  readonly createdAt: string;
  /** The recording that was backed up. */
  readonly source: string;
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

/** Reports long work: `phase` names it, `done` / `total` count rows (export) or bytes (checksums). */
export type BackupProgress = (phase: "export" | "checksum" | "import", done: number, total: number) => void;

const tickflowVersion = (): string => (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

const TABLES_SQL = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name";
const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Every table with its row count, through `rowsOf` (a connection, or one inside a transaction). */
async function tableCounts(rowsOf: (sql: string) => Promise<Record<string, unknown>[]>): Promise<{ name: string; rows: number }[]> {
  const out: { name: string; rows: number }[] = [];
  for (const t of await rowsOf(TABLES_SQL)) {
    const [r] = await rowsOf(`SELECT count(*) n FROM ${quoteIdent(String(t.table_name))}`);
    out.push({ name: String(t.table_name), rows: Number(r!.n) });
  }
  return out;
}

async function sha256(path: string, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest("hex");
}

/** Hashes every file of `dir` but the manifest, in name order. */
async function checksums(dir: string, names: readonly string[], onProgress?: BackupProgress): Promise<BackupManifest["files"]> {
  const total = names.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  let done = 0;
  const files: { name: string; bytes: number; sha256: string }[] = [];
  for (const name of names) {
    const digest = await sha256(join(dir, name), (n) => {
      done += n;
      onProgress?.("checksum", done, total);
    });
    files.push({ name, bytes: statSync(join(dir, name)).size, sha256: digest });
  }
  return files;
}

/**
 * Exports the whole recording to `dir` (created; it must not exist or be empty) as Parquet, in one transaction
 * (one consistent cut), and writes the manifest last: a directory without one is an unfinished backup.
 */
export async function createBackup(db: Database, dir: string, o: { now?: () => Date; onProgress?: BackupProgress } = {}): Promise<BackupManifest> {
  const at = resolve(dir);
  if (existsSync(at) && (!statSync(at).isDirectory() || readdirSync(at).length > 0))
    throw new BackupInvalidError(`backup ${at}: ${statSync(at).isDirectory() ? "the directory is not empty" : "is a file"}; give a new or empty directory`);
  const created = !existsSync(at);
  mkdirSync(at, { recursive: true });
  try {
    return await exportInto(db, at, o);
  } catch (e) {
    // Leave the directory as it was (gone, or empty), not a half-written backup.
    if (created) rmSync(at, { recursive: true, force: true });
    else for (const name of readdirSync(at)) rmSync(join(at, name), { recursive: true, force: true });
    throw e;
  }
}

async function exportInto(db: Database, at: string, o: { now?: () => Date; onProgress?: BackupProgress }): Promise<BackupManifest> {
  const [version] = await db.query<{ v: string }>("SELECT version() v");
  // Counts and export in one transaction and one turn of the connection's queue: nothing else gets in between.
  const tables = await db.exclusive(async (c) => {
    const rowsOf = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    await c.run("BEGIN TRANSACTION");
    try {
      const counted = await tableCounts(rowsOf);
      const rows = counted.reduce((n, t) => n + t.rows, 0);
      o.onProgress?.("export", 0, rows);
      await c.run(`EXPORT DATABASE '${at.replace(/'/g, "''")}' (FORMAT PARQUET)`);
      o.onProgress?.("export", rows, rows);
      await c.run("COMMIT");
      return counted;
    } catch (e) {
      await c.run("ROLLBACK").catch(() => undefined);
      throw e;
    }
  });
  const names = readdirSync(at)
    .filter((n) => n !== MANIFEST)
    .sort();
  const manifest: BackupManifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    tickflow: tickflowVersion(),
    duckdb: version!.v,
    createdAt: (o.now?.() ?? new Date()).toISOString(),
    source: db.path,
    tables,
    files: await checksums(at, names, o.onProgress),
  };
  writeFileSync(join(at, `${MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(join(at, `${MANIFEST}.tmp`), join(at, MANIFEST));
  return manifest;
}

/** Reads a backup's manifest; refuses a directory that is not a finished tickflow backup. */
export function readBackupManifest(dir: string): BackupManifest {
  const at = resolve(dir);
  if (!existsSync(at) || !statSync(at).isDirectory()) throw new BackupInvalidError(`backup ${at}: no such directory`);
  const path = join(at, MANIFEST);
  if (!existsSync(path))
    throw new BackupInvalidError(`${at} is not a tickflow backup (no ${MANIFEST}; an interrupted backup has none either): make one with tickflow backup <dir>`);
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as BackupManifest;
  } catch (e) {
    throw new BackupInvalidError(`backup ${at}: ${MANIFEST} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (m?.format !== FORMAT || !Array.isArray(m.files) || !Array.isArray(m.tables))
    throw new BackupInvalidError(`${at} is not a tickflow backup: ${MANIFEST} does not describe one`);
  if (m.formatVersion > FORMAT_VERSION)
    throw new BackupInvalidError(`backup ${at} has format version ${m.formatVersion}; this tickflow (${tickflowVersion()}) reads up to ${FORMAT_VERSION}`);
  return m;
}

/** Checks every file the manifest lists: present, of its size and its sha256. Throws naming the first that is not. */
export async function verifyBackup(dir: string, o: { onProgress?: BackupProgress } = {}): Promise<BackupManifest> {
  const at = resolve(dir);
  const m = readBackupManifest(at);
  for (const f of m.files)
    if (!existsSync(join(at, f.name)))
      throw new BackupInvalidError(`backup ${at}: ${f.name} is missing (the manifest lists it): the backup cannot be restored`);
  const actual = await checksums(
    at,
    m.files.map((f) => f.name),
    o.onProgress,
  );
  for (const [i, f] of m.files.entries()) {
    const a = actual[i]!;
    if (a.bytes !== f.bytes || a.sha256 !== f.sha256)
      throw new BackupInvalidError(
        `backup ${at}: ${f.name} is damaged (${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}…; the manifest says ${f.bytes} bytes, ${f.sha256.slice(0, 12)}…): the backup cannot be restored`,
      );
  }
  return m;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly target: string;
  /** Where the recording that was replaced (`force`) now is. */
  readonly replaced?: string;
}

/**
 * Restores a backup into `target`, a new file: verifies every file, imports into a temporary file beside the target,
 * compares each table's row count with the manifest, then moves it in place. An existing target is refused unless
 * `force`; then it is kept beside, renamed `<target>.replaced-<time>` (with its WAL). The caller makes sure that no
 * process holds the target open (DuckDB's lock is per process).
 */
export async function restoreBackup(
  dir: string,
  target: string,
  o: { force?: boolean; now?: () => Date; onProgress?: BackupProgress } = {},
): Promise<RestoreResult> {
  const at = resolve(dir);
  const to = resolve(target);
  const wal = `${to}.wal`;
  const exists = existsSync(to) || existsSync(wal);
  if (exists && !o.force)
    throw new RestoreTargetExistsError(
      `${to} already holds a recording; restore into another file (--to FILE, or TICKFLOW_DB) or give --force to replace it (it is kept beside as ${to}.replaced-<time>)`,
    );
  const manifest = await verifyBackup(at, o);
  mkdirSync(dirname(to), { recursive: true });
  const temp = `${to}.restoring-${process.pid}`;
  rmSync(temp, { force: true });
  rmSync(`${temp}.wal`, { force: true });
  const db = await Database.open(temp);
  try {
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    o.onProgress?.("import", 0, rows);
    await db.run(`IMPORT DATABASE '${at.replace(/'/g, "''")}'`);
    o.onProgress?.("import", rows, rows);
    const got = new Map((await tableCounts((sql) => db.query<Record<string, unknown>>(sql))).map((t) => [t.name, t.rows]));
    for (const t of manifest.tables) {
      if (got.get(t.name) !== t.rows)
        throw new BackupInvalidError(`backup ${at}: table ${t.name} restored with ${got.get(t.name) ?? "no"} rows, the manifest says ${t.rows}`);
    }
  } catch (e) {
    await db.close();
    rmSync(temp, { force: true });
    rmSync(`${temp}.wal`, { force: true });
    throw e;
  }
  await db.close();
  let replaced: string | undefined;
  if (exists) {
    replaced = `${to}.replaced-${(o.now?.() ?? new Date()).toISOString().replace(/[:.]/g, "-")}`;
    if (existsSync(to)) renameSync(to, replaced);
    if (existsSync(wal)) renameSync(wal, `${replaced}.wal`);
  }
  renameSync(temp, to);
  return { manifest, target: to, replaced };
}
