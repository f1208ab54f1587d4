// The audit trail's head kept outside DuckDB (`<db>.audit-anchor`): rows, last seq and head hash after every append,
// so `tickflow audit --verify` notices a deleted tail or a whole chain rewritten with fresh valid hashes.
import { readFile, rename, rm, writeFile } from "node:fs/promises";

/** The head of the chain as of the last append. */
export interface AuditAnchor {
  readonly rows: number;
  readonly lastSeq: bigint;
  readonly headHash: string;
}

/** Where the anchor of the DuckDB file `dbPath` lives; undefined for an in-memory database. */
export function auditAnchorPath(dbPath: string): string | undefined {
  return dbPath === ":memory:" || dbPath === "" ? undefined : `${dbPath}.audit-anchor`;
}

/** Writes the anchor atomically (temp file, then rename) with mode 0600: a crash leaves the old or the new anchor, never half of one. */
export async function writeAuditAnchor(path: string, a: AuditAnchor): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const text = `${JSON.stringify({ version: 1, rows: a.rows, lastSeq: a.lastSeq.toString(), headHash: a.headHash })}\n`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`audit anchor ${path}: cannot write it (${(e as Error).message}); the entry is in audit_log but not anchored`, { cause: e });
  }
}

/** The anchor at `path`, undefined when there is no such file; throws when the file is not an anchor. */
export async function readAuditAnchor(path: string): Promise<AuditAnchor | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`audit anchor ${path}: cannot read it (${(e as Error).message})`, { cause: e });
  }
  let v: { rows?: unknown; lastSeq?: unknown; headHash?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch (e) {
    throw new Error(`audit anchor ${path}: not JSON; restore it from a backup`, { cause: e });
  }
  if (
    !Number.isInteger(v.rows) ||
    typeof v.lastSeq !== "string" ||
    !/^\d+$/.test(v.lastSeq) ||
    typeof v.headHash !== "string" ||
    !/^[0-9a-f]{64}$/.test(v.headHash)
  )
    throw new Error(`audit anchor ${path}: expected {"rows": n, "lastSeq": "n", "headHash": "<64 hex>"}; restore it from a backup`);
  return { rows: v.rows as number, lastSeq: BigInt(v.lastSeq), headHash: v.headHash };
}
