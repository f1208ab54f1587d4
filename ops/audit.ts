// An append-only audit trail in DuckDB (`audit_log`): who did what to what, when. Each row carries the hash of
// the row before it, so editing, deleting or reordering rows breaks the chain and `verifyAuditChain` says where;
// the head is also anchored outside the database (ops/auditAnchor.ts) against a deleted tail or a re-chained rewrite.
import { createHash } from "node:crypto";
import { type DuckDBConnection, DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import { redactSecrets } from "../core/redact.ts";
import type { Database } from "../io/duckdb/database.ts";
import { type AuditAnchor, auditAnchorPath, readAuditAnchor, writeAuditAnchor } from "./auditAnchor.ts";

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
/** Since which seq the log is anchored: tells a deleted anchor from a log recorded before anchors existed. */
const ANCHORED_TABLE = "audit_anchor";
const CREATE_ANCHORED_SQL = `CREATE TABLE IF NOT EXISTS ${ANCHORED_TABLE} (since_seq BIGINT NOT NULL, anchor_file VARCHAR NOT NULL)`;

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
  /** The anchor file. Default `<db file>.audit-anchor`; none for an in-memory database. */
  readonly anchorPath?: string;
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
  await db.run(CREATE_ANCHORED_SQL);
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

  /**
   * Appends one entry, secrets redacted (core/redact.ts), and anchors the new head. The tail is read, checked
   * against the anchor, and the row written in one exclusive step on the connection. Refuses to append to a log
   * that no longer matches its anchor: the new head would hide the damage.
   */
  audit(action: string, subject: string, details: unknown = {}): Promise<AuditEntry> {
    const tsNs = (this.o.nowNs ?? wallNs)();
    const json = canonicalJson(redactSecrets(details));
    const anchorPath = this.o.anchorPath ?? auditAnchorPath(this.db.path);
    return this.db.exclusive(async (c) => {
      const tail = await readTail(c);
      if (anchorPath) await this.checkAnchor(c, anchorPath, tail);
      const entry = await this.insert(c, tail, tsNs, action, subject, json);
      if (anchorPath) await writeAuditAnchor(anchorPath, { rows: await countRows(c), lastSeq: entry.seq, headHash: entry.hash });
      return entry;
    });
  }

  /**
   * Appends entries without moving the anchor: for writes inside a batch's record transaction, which may still roll
   * back (an anchor naming a row that was rolled back would refuse every later append). `anchorHead()` after the
   * commit anchors them; a crash in between leaves the anchor behind the log, which appends and `--verify` accept.
   */
  appendInTransaction(entries: readonly { action: string; subject: string; details?: unknown }[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return Promise.resolve([]);
    const tsNs = (this.o.nowNs ?? wallNs)();
    const anchorPath = this.o.anchorPath ?? auditAnchorPath(this.db.path);
    return this.db.exclusive(async (c) => {
      let tail = await readTail(c);
      if (anchorPath) await this.checkAnchor(c, anchorPath, tail);
      const out: AuditEntry[] = [];
      for (const e of entries) {
        const entry = await this.insert(c, tail, tsNs, e.action, e.subject, canonicalJson(redactSecrets(e.details ?? {})));
        tail = { seq: entry.seq, hash: entry.hash };
        out.push(entry);
      }
      return out;
    });
  }

  /** Refuses to append to a log that no longer matches its anchor; starts anchoring a log that never was. */
  private async checkAnchor(c: DuckDBConnection, anchorPath: string, tail: Tail | undefined): Promise<void> {
    const anchor = await readAuditAnchor(anchorPath);
    const since = await anchoredSince(c);
    if (anchor) await checkTailAgainstAnchor(c, anchorPath, anchor, tail);
    else if (since !== undefined)
      throw new Error(
        `audit anchor ${anchorPath} is missing although audit_log is anchored since #${since}: nothing is appended; ` +
          "restore the file from a backup, or check the log with `tickflow audit --verify` and run `tickflow audit --reanchor`",
      );
    else await c.run(`INSERT INTO ${ANCHORED_TABLE} VALUES ($1, $2)`, [(tail?.seq ?? 0n) + 1n, anchorPath]);
  }

  /**
   * Anchors the current head anew after the anchor was lost or the log was found damaged, recording that
   * (`audit.reanchor`, with the anchor it replaces) as an entry of its own. Only after `--verify` was looked at.
   */
  reanchor(reason: string): Promise<AuditEntry> {
    const anchorPath = this.o.anchorPath ?? auditAnchorPath(this.db.path);
    if (!anchorPath) return Promise.reject(new Error(`DuckDB ${this.db.path} is in memory: its audit trail has no anchor file`));
    const tsNs = (this.o.nowNs ?? wallNs)();
    return this.db.exclusive(async (c) => {
      const tail = await readTail(c);
      const previous = await readAuditAnchor(anchorPath).catch((e: Error) => ({ unreadable: e.message }));
      const details = canonicalJson(redactSecrets({ reason, anchorFile: anchorPath, previous: previous ?? null }));
      const entry = await this.insert(c, tail, tsNs, "audit.reanchor", anchorPath, details);
      await c.run(`DELETE FROM ${ANCHORED_TABLE}`);
      await c.run(`INSERT INTO ${ANCHORED_TABLE} VALUES ($1, $2)`, [entry.seq, anchorPath]);
      await writeAuditAnchor(anchorPath, { rows: await countRows(c), lastSeq: entry.seq, headHash: entry.hash });
      return entry;
    });
  }

  /**
   * Writes the anchor file for the current head without appending anything: a restored recording gets its own
   * anchor (the one beside its path described whatever was there), while its rows stay those of the backup.
   */
  anchorHead(): Promise<{ rows: number; lastSeq: bigint; headHash: string } | undefined> {
    const anchorPath = this.o.anchorPath ?? auditAnchorPath(this.db.path);
    if (!anchorPath) return Promise.resolve(undefined);
    return this.db.exclusive(async (c) => {
      const tail = await readTail(c);
      if (!tail) return undefined;
      const a = { rows: await countRows(c), lastSeq: tail.seq, headHash: tail.hash };
      await writeAuditAnchor(anchorPath, a);
      return a;
    });
  }

  private async insert(c: DuckDBConnection, tail: Tail | undefined, tsNs: bigint, action: string, subject: string, json: string): Promise<AuditEntry> {
    const seq = tail ? tail.seq + 1n : 1n;
    const base = { seq, tsNs, actor: this.o.actor, action, subject, details: json, prevHash: tail ? tail.hash : GENESIS_HASH };
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
  }
}

interface Tail {
  readonly seq: bigint;
  readonly hash: string;
}

async function readTail(c: DuckDBConnection): Promise<Tail | undefined> {
  return ((await c.runAndReadAll(`SELECT seq, hash FROM ${AUDIT_TABLE} ORDER BY seq DESC LIMIT 1`)).getRowObjectsJS() as unknown as Tail[])[0];
}

async function countRows(c: DuckDBConnection): Promise<number> {
  const [r] = (await c.runAndReadAll(`SELECT count(*) AS n FROM ${AUDIT_TABLE}`)).getRowObjectsJS() as { n: bigint }[];
  return Number(r!.n);
}

async function anchoredSince(c: DuckDBConnection): Promise<bigint | undefined> {
  const [r] = (await c.runAndReadAll(`SELECT min(since_seq) AS s FROM ${ANCHORED_TABLE}`)).getRowObjectsJS() as { s: bigint | null }[];
  return r?.s ?? undefined;
}

/** Throws unless the row at the anchored seq still carries the anchored hash (rows after it are a crash before the anchor write). */
async function checkTailAgainstAnchor(c: DuckDBConnection, path: string, a: AuditAnchor, tail: Tail | undefined): Promise<void> {
  const [atAnchor] =
    tail?.seq === a.lastSeq
      ? [tail]
      : ((await c.runAndReadAll(`SELECT seq, hash FROM ${AUDIT_TABLE} WHERE seq = $1`, [a.lastSeq])).getRowObjectsJS() as unknown as Tail[]);
  if (atAnchor?.hash === a.headHash) return;
  throw new Error(
    `audit_log does not match its anchor ${path} (head #${a.lastSeq} ${a.headHash.slice(0, 12)}…): ` +
      `${atAnchor ? `row #${a.lastSeq} has hash ${atAnchor.hash.slice(0, 12)}…` : `row #${a.lastSeq} is missing`}; nothing is appended; ` +
      "run `tickflow audit --verify`",
  );
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
  /** Hash of the newest row. */
  readonly headHash: string;
  readonly problems: readonly AuditProblem[];
  /** Not failures, but limits of what could be checked: no anchor on a log recorded before anchors existed, rows after the anchored head. */
  readonly warnings: readonly string[];
  /** The anchor file compared with the chain (undefined for an in-memory database). */
  readonly anchorPath?: string;
  /** The anchor found there; undefined when missing. */
  readonly anchor?: AuditAnchor;
}

export interface VerifyAuditOptions {
  /** The anchor file. Default `<db file>.audit-anchor`. */
  readonly anchorPath?: string;
}

/**
 * Recomputes every row's hash, checks each row links to the one before it, then compares the chain with the anchor
 * file: the anchored seq must still exist (else the tail was deleted) and carry the anchored hash (else the chain
 * was rewritten), and an anchored log must still have its anchor.
 */
export async function verifyAuditChain(db: Database, o: VerifyAuditOptions = {}): Promise<AuditVerification> {
  const rows = await readAuditLog(db);
  const problems: AuditProblem[] = [];
  const warnings: string[] = [];
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
  const anchorPath = o.anchorPath ?? auditAnchorPath(db.path);
  let anchor: AuditAnchor | undefined;
  if (anchorPath) {
    try {
      anchor = await readAuditAnchor(anchorPath);
    } catch (e) {
      problems.push({ seq: 0n, problem: (e as Error).message });
    }
    const [marker] = await db.query<{ s: bigint | null }>(`SELECT min(since_seq) AS s FROM ${ANCHORED_TABLE}`);
    const since = marker?.s ?? undefined;
    if (anchor) problems.push(...compareWithAnchor(rows, anchor, anchorPath, warnings));
    else if (since !== undefined && !problems.some((p) => p.seq === 0n))
      problems.push({ seq: since, problem: `anchor file ${anchorPath} is missing, though the log is anchored since #${since}: the anchor was deleted` });
    else if (since === undefined && rows.length > 0)
      warnings.push(`no anchor: only the chain is checked (${anchorPath} absent; the log was recorded before anchors existed; the next entry anchors it)`);
  } else if (rows.length > 0) warnings.push(`no anchor: only the chain is checked (${db.path} is an in-memory database)`);
  return { ok: problems.length === 0, rows: rows.length, headHash: prev, problems, warnings, anchorPath, anchor };
}

function compareWithAnchor(rows: readonly AuditEntry[], a: AuditAnchor, path: string, warnings: string[]): AuditProblem[] {
  const last = rows.length ? rows[rows.length - 1]!.seq : 0n;
  const anchored = `the anchor ${path} records ${a.rows} entries ending at #${a.lastSeq} (head hash ${a.headHash.slice(0, 12)}…)`;
  const atAnchor = rows.find((r) => r.seq === a.lastSeq);
  if (!atAnchor) {
    if (last < a.lastSeq)
      return [{ seq: last + 1n, problem: `rows #${last + 1n}–#${a.lastSeq} are missing: ${anchored}, the log ends at #${last}: the tail was deleted` }];
    return [{ seq: a.lastSeq, problem: `row #${a.lastSeq} is missing: ${anchored}` }];
  }
  const problems: AuditProblem[] = [];
  if (atAnchor.hash !== a.headHash)
    problems.push({
      seq: a.lastSeq,
      problem: `hash ${atAnchor.hash.slice(0, 12)}… differs from the anchored head hash: ${anchored}: the chain was rewritten at or before #${a.lastSeq}`,
    });
  const upTo = rows.filter((r) => r.seq <= a.lastSeq).length;
  if (upTo !== a.rows) problems.push({ seq: a.lastSeq, problem: `${upTo} entries up to #${a.lastSeq}, but ${anchored}` });
  if (last > a.lastSeq)
    warnings.push(
      `entries #${a.lastSeq + 1n}–#${last} come after the anchored head #${a.lastSeq}: only the chain covers them (was an anchor write interrupted?)`,
    );
  return problems;
}

const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
