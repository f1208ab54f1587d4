// The `checkpoints` table: a live run's state after each committed batch, written in the same DuckDB transaction
// as the batch's recorded inputs, outputs and dead letters, so that after any crash the recording and the latest
// checkpoint describe the same cut of the run. The last KEEP checkpoints of a run are kept (for inspection).
import type { Database } from "../io/duckdb/database.ts";
import type { CheckpointStore, OutboxEntry, StoredCheckpoint } from "../runtime/ports.ts";
import { CHECKPOINTS_LAYOUT, createTableSql, OUTBOX_LAYOUT } from "../sinks/recordingTables.ts";
import { decodeState } from "../core/stateCodec.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Checkpoints kept per run. */
export const KEEP_CHECKPOINTS = 3;

export class DuckDbCheckpointStore implements CheckpointStore {
  private ready?: Promise<void>;

  constructor(private readonly db: Database) {}

  private ensure(): Promise<void> {
    this.ready ??= this.db.run(createTableSql(CHECKPOINTS_LAYOUT)).then(() => this.db.run(createTableSql(OUTBOX_LAYOUT)));
    return this.ready;
  }

  async latest(runId: string): Promise<StoredCheckpoint | undefined> {
    await this.ensure();
    const rows = await this.db.query<{ seq: bigint; state: string }>(`SELECT seq, state FROM checkpoints WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`, [runId]);
    return rows[0] && { seq: rows[0].seq, state: rows[0].state };
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensure();
    // Every write of `fn` goes through the database's one connection, in order, so it falls inside BEGIN … COMMIT.
    await this.db.run("BEGIN TRANSACTION");
    try {
      const r = await fn();
      await this.db.run("COMMIT");
      return r;
    } catch (e) {
      await this.db.run("ROLLBACK").catch(() => undefined);
      throw e;
    }
  }

  async save(runId: string, c: StoredCheckpoint & { batches: number; inputs: number; watermark: bigint }): Promise<void> {
    await this.db.run(`INSERT INTO checkpoints VALUES ($1, $2, $3, $4, $5, $6)`, [runId, c.seq, BigInt(c.batches), BigInt(c.inputs), c.watermark, c.state]);
    await this.db.run(`DELETE FROM checkpoints WHERE run_id = $1 AND seq <= $2`, [runId, c.seq - BigInt(KEEP_CHECKPOINTS)]);
  }

  async addToOutbox(runId: string, firstSeq: bigint, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.appendColumns(
      OUTBOX_LAYOUT.name,
      OUTBOX_LAYOUT.columns.map((c) => c.type),
      [
        entries.map(() => runId),
        entries.map((_, i) => firstSeq + BigInt(i)),
        entries.map((e) => e.outbox),
        entries.map((e) => e.message.subject),
        entries.map((e) => e.message.id),
        entries.map((e) => (e.message.headers ? JSON.stringify(e.message.headers) : null)),
        entries.map((e) => utf8.decode(e.message.data)),
      ],
    );
  }

  async clearOutbox(runId: string, seq: bigint): Promise<void> {
    await this.db.run(`DELETE FROM outbox WHERE run_id = $1 AND seq <= $2`, [runId, seq]);
  }

  async outbox(runId: string): Promise<(OutboxEntry & { seq: bigint })[]> {
    await this.ensure();
    const rows = await this.db.query<{ seq: bigint; outbox: string; subject: string; msg_id: string; headers: string | null; data: string }>(
      `SELECT seq, outbox, subject, msg_id, headers, data FROM outbox WHERE run_id = $1 ORDER BY seq`,
      [runId],
    );
    const enc = new TextEncoder();
    return rows.map((r) => ({
      seq: r.seq,
      outbox: r.outbox,
      message: {
        subject: r.subject,
        id: r.msg_id,
        data: enc.encode(r.data),
        headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : undefined,
      },
    }));
  }
}

async function hasCheckpoints(db: Database): Promise<boolean> {
  const have = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'checkpoints'`);
  return have[0]!.n > 0n;
}

/** The checkpoints of a run, newest first (for `tickflow runs` and tests). */
export async function listCheckpoints(
  db: Database,
  runId: string,
): Promise<{ seq: bigint; batches: bigint; inputs: bigint; watermark: bigint; bytes: number }[]> {
  if (!(await hasCheckpoints(db))) return [];
  return db.query(`SELECT seq, batches, inputs, watermark, octet_length(state::BLOB)::INTEGER bytes FROM checkpoints WHERE run_id = $1 ORDER BY seq DESC`, [
    runId,
  ]);
}

/**
 * The input position kept by a run's latest checkpoint (what the run driver saves as `input`: for a JetStream run,
 * each lane's committed stream sequences), without creating any table. Undefined: the run has no checkpoint.
 */
export async function latestCheckpointInput(db: Database, runId: string): Promise<{ seq: bigint; input: unknown } | undefined> {
  if (!(await hasCheckpoints(db))) return undefined;
  const rows = await db.query<{ seq: bigint; state: string }>(`SELECT seq, state FROM checkpoints WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`, [runId]);
  if (!rows[0]) return undefined;
  return { seq: rows[0].seq, input: (decodeState(rows[0].state) as { input?: unknown }).input };
}
