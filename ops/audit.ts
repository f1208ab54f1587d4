// An append-only audit trail in DuckDB (`audit_log`): who did what to what, when. Each row carries the hash of
// the row before it, so editing, deleting or reordering rows breaks the chain and `verifyAuditChain` says where.
import { createHash } from "node:crypto";
import { DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import type { Database } from "../io/duckdb/database.ts";

export const AUDIT_TABLE = "audit_log";
/** prev_hash of the first row. */
export const GENESIS_HASH = "0".repeat(64);

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  seq BIGINT PRIMARY KEY,
  ts TIMESTAMP_NS NOT NULL,
  actor VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  subject VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  prev_hash VARCHAR NOT NULL,
  hash VARCHAR NOT NULL
)`;

export interface AuditEntry {
  readonly seq: bigint;
  readonly tsNs: bigint;
  readonly actor: string;
  /** Dotted verb: run.start, run.stop, config.start, job.run, model.deploy, ... */
  readonly action: string;
  readonly subject: string;
  /** Canonical JSON (sorted keys, bigints as strings): exactly the text the hash covers. */
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditLogOptions {
  /** Who acts, e.g. `cli:alice@host` or `run:live-momentum-...`. */
  readonly actor: string;
  /** Wall clock in ns. Default Date.now(). */
  readonly nowNs?: () => bigint;
}

/** JSON with object keys sorted at every level and bigints as decimal strings, so equal details hash equally. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (v && typeof v === "object" && !Array.isArray(v))
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      return v;
    }) ?? "null"
  );
}

export function auditHash(e: Omit<AuditEntry, "hash">): string {
  return createHash("sha256")
    .update(JSON.stringify([e.seq.toString(), e.tsNs.toString(), e.actor, e.action, e.subject, e.details, e.prevHash]))
    .digest("hex");
}

export async function ensureAuditTable(db: Database): Promise<void> {
  await db.run(CREATE_SQL);
}

export class AuditLog {
  private constructor(
    private readonly db: Database,
    private readonly o: AuditLogOptions,
  ) {}

  static async open(db: Database, o: AuditLogOptions): Promise<AuditLog> {
    await ensureAuditTable(db);
    return new AuditLog(db, o);
  }

  /** Appends one entry. The tail is read and the row written in one exclusive step on the connection. */
  audit(action: string, subject: string, details: unknown = {}): Promise<AuditEntry> {
    const tsNs = (this.o.nowNs ?? wallNs)();
    const json = canonicalJson(details);
    return this.db.exclusive(async (c) => {
      const tail = (await c.runAndReadAll(`SELECT seq, hash FROM ${AUDIT_TABLE} ORDER BY seq DESC LIMIT 1`)).getRowObjectsJS() as {
        seq: bigint;
        hash: string;
      }[];
      const seq = tail.length ? tail[0]!.seq + 1n : 1n;
      const base = { seq, tsNs, actor: this.o.actor, action, subject, details: json, prevHash: tail.length ? tail[0]!.hash : GENESIS_HASH };
      const entry: AuditEntry = { ...base, hash: auditHash(base) };
      await c.run(`INSERT INTO ${AUDIT_TABLE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        seq,
        new DuckDBTimestampNanosecondsValue(tsNs),
        entry.actor,
        action,
        subject,
        json,
        entry.prevHash,
        entry.hash,
      ]);
      return entry;
    });
  }
}

/** The newest `limit` entries (all when undefined), oldest first. */
export async function readAuditLog(db: Database, limit?: number): Promise<AuditEntry[]> {
  await ensureAuditTable(db);
  const lim = limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
  const rows = await db.query<{ seq: bigint; ts: bigint; actor: string; action: string; subject: string; details: string; prev_hash: string; hash: string }>(
    `SELECT * FROM (SELECT seq, epoch_ns(ts) AS ts, actor, action, subject, details, prev_hash, hash FROM ${AUDIT_TABLE} ORDER BY seq DESC${lim}) ORDER BY seq`,
  );
  return rows.map((r) => ({
    seq: r.seq,
    tsNs: r.ts,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

export interface AuditProblem {
  readonly seq: bigint;
  readonly problem: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly rows: number;
  /** Hash of the newest row: keep a copy elsewhere to detect a rewrite of the whole tail. */
  readonly headHash: string;
  readonly problems: readonly AuditProblem[];
}

/** Recomputes every row's hash and checks each row links to the one before it. */
export async function verifyAuditChain(db: Database): Promise<AuditVerification> {
  const rows = await readAuditLog(db);
  const problems: AuditProblem[] = [];
  let prev = GENESIS_HASH;
  let expectSeq = 1n;
  for (const r of rows) {
    if (r.seq !== expectSeq) problems.push({ seq: r.seq, problem: `sequence jumps from ${expectSeq - 1n} to ${r.seq}: rows missing` });
    if (r.prevHash !== prev)
      problems.push({
        seq: r.seq,
        problem: `prev_hash ${r.prevHash.slice(0, 12)}… does not match the hash of the row before (${prev.slice(0, 12)}…): a row before it was changed or removed`,
      });
    const h = auditHash(r);
    if (h !== r.hash)
      problems.push({ seq: r.seq, problem: `stored hash ${r.hash.slice(0, 12)}… differs from the recomputed ${h.slice(0, 12)}…: the row was modified` });
    prev = r.hash;
    expectSeq = r.seq + 1n;
  }
  return { ok: problems.length === 0, rows: rows.length, headHash: prev, problems };
}

const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
