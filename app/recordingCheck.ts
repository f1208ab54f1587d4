// Is the recording whole? The start check of a live run: before it consumes, the recording must hold every input the
// run's JetStream consumers acknowledged (an older copy of the DuckDB file, a write-ahead log that lost its last
// transactions or a deleted file would let the run go on above inputs that are nowhere). And DuckDB's "this file is
// damaged" errors, said with what to do.
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { TickflowError } from "../core/errors.ts";
import { loadConfig } from "../io/config.ts";
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { latestCheckpointInput } from "../replay/checkpoints.ts";
import { recordedRunStatus } from "../replay/runs.ts";
import type { JetStreamPosition } from "../sources/jetstreamInput.ts";
import { laneLayout } from "../sources/jetstreamSource.ts";

/** The recording lacks inputs that the run's consumers acknowledged: starting would go on above them. */
export class RecordingBehindError extends TickflowError {
  static override readonly code = "RECORDING_BEHIND";
  static override readonly refusal = true;
  override readonly name = "RecordingBehindError";
}

/** DuckDB cannot read the recording: the file (or its write-ahead log) is damaged. `cause` is DuckDB's error. */
export class RecordingCorruptError extends TickflowError {
  static override readonly code = "RECORDING_CORRUPT";
  static override readonly refusal = true;
  override readonly name = "RecordingCorruptError";

  /** @param path the DuckDB file; @param cause DuckDB's error (its first line is quoted) */
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(damageMessage(path, cause.message), { cause });
  }
}

/** What DuckDB says when a file or its WAL is not what it wrote (checked against @duckdb/node-api 1.5). */
const DAMAGE =
  /not a valid DuckDB database file|Corrupt database file|Could not read enough bytes from file|Failure while replaying WAL file|Corrupt WAL file|Trying to read a database file with version number/;

/** Whether `e` is DuckDB saying that the database file (or its WAL) is damaged. A lock conflict is not damage. */
export function isRecordingDamage(e: unknown): e is Error {
  return e instanceof Error && !(e instanceof TickflowError) && DAMAGE.test(e.message);
}

/**
 * `e` as a RecordingCorruptError when it is DuckDB reporting a damaged file, else `e` itself: for the places where
 * the recording is opened or read. `path` defaults to the file DuckDB names, else the configured recording.
 * @example try { await db.query(sql); } catch (e) { throw explainRecordingDamage(e, db.path); }
 */
export function explainRecordingDamage(e: unknown, path?: string): unknown {
  if (!isRecordingDamage(e)) return e;
  return new RecordingCorruptError(path ?? namedFile(e.message) ?? configuredRecording(), e);
}

function namedFile(message: string): string | undefined {
  return /file "([^"]+)"/.exec(message)?.[1]?.replace(/\.wal$/, "");
}

function configuredRecording(): string {
  try {
    return loadConfig().dbPath;
  } catch {
    return "the recording (TICKFLOW_DB)";
  }
}

const RESTORE = "tickflow restore <backup-dir> --force (or into another file: --to FILE, then TICKFLOW_DB=FILE)";

function damageMessage(path: string, duckdb: string): string {
  const said = duckdb.split("\n")[0]!.trim();
  if (/WAL file/.test(duckdb))
    return (
      `the write-ahead log of the recording ${path} is damaged (DuckDB: ${said}): restore the recording from a backup with ${RESTORE}, ` +
      `or move ${path}.wal aside to open the file without its last transactions (a live run then reads their inputs again from the stream)`
    );
  if (/version number/.test(duckdb))
    return `the recording ${path} cannot be read (DuckDB: ${said}): if a newer DuckDB wrote it, use that; otherwise the file is damaged: restore it from a backup with ${RESTORE}`;
  return `the recording ${path} is damaged (DuckDB: ${said}): restore it from a backup with ${RESTORE}`;
}

/** What the check knows of one JetStream lane (one source subject, one durable consumer). */
export interface LaneFacts {
  readonly source: string;
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  /** The consumer's ack floor: every message of its filter up to it is acknowledged (0: none yet). Undefined: no consumer. */
  readonly ackFloor?: bigint;
  /** The first stream sequence the stream still holds. */
  readonly firstSeq: bigint;
  /** The lane in the run's latest checkpoint (undefined: the run has no checkpoint). */
  readonly checkpoint?: { readonly floor: bigint; readonly above: readonly bigint[] };
}

/** A lane is fine, fine with a notice (the run reads something again, or the stream lost what it never read), or behind. */
export interface LaneVerdict {
  readonly behind?: string;
  readonly notice?: string;
}

const range = (from: bigint, to: bigint): string => (from === to ? `${from}` : `${from}..${to}`);

/**
 * Pure: judges one lane. Acks go out only after a batch's recording committed, so a consumer never acknowledged
 * more than the latest checkpoint holds, unless the recording lost transactions. Without a checkpoint any ack is
 * missing from the recording. With one, the run restarts the consumer at floor + 1 and reads again what the lost
 * transactions held, as long as the stream still has it.
 */
export function judgeLane(l: LaneFacts): LaneVerdict {
  const acked = l.ackFloor ?? 0n;
  const consumer = `consumer ${l.durable} on ${l.stream} (${l.subject})`;
  if (!l.checkpoint) return acked > 0n ? { behind: `${consumer} has acknowledged up to stream sequence ${acked}` } : {};
  const { floor, above } = l.checkpoint;
  const lostTo = l.firstSeq - 1n; // the stream no longer holds floor+1 .. lostTo
  if (acked > floor) {
    const missingTo = lostTo < acked ? lostTo : acked;
    const covered = above.filter((s) => s > floor && s <= missingTo).length;
    if (missingTo > floor && BigInt(covered) < missingTo - floor)
      return {
        behind:
          `${consumer} has acknowledged up to stream sequence ${acked}, the checkpoint holds the lane up to ${floor}, and ${l.stream} ` +
          `no longer holds sequences ${range(floor + 1n, lostTo)} (its first is ${l.firstSeq}: retention or a purge): what the consumer acknowledged of ` +
          `${range(floor + 1n, missingTo)} is in neither the recording nor the stream`,
      };
    return {
      notice:
        `the recording is behind ${consumer}: acknowledged up to stream sequence ${acked}, the checkpoint holds the lane up to ${floor}; ` +
        `reading ${range(floor + 1n, acked)} again from ${l.stream}, their outputs are published again under the same message ids`,
    };
  }
  // A lane read from the first message that has committed nothing cannot tell what expired before the run began.
  const started = floor > 0n || above.length > 0;
  if (started && lostTo > floor && BigInt(above.filter((s) => s > floor && s <= lostTo).length) < lostTo - floor)
    return {
      notice: `${l.stream} no longer holds stream sequences ${range(floor + 1n, lostTo)} (retention or a purge), which the run had not read on ${l.subject}: it continues at ${l.firstSeq}`,
    };
  return {};
}

export interface RecordingCheckOptions {
  readonly nc: NatsConnection;
  readonly db: Database;
  readonly pipeline: CompiledPipeline;
  readonly runId: string;
  /** Durable consumer names start with this. Default: the run id (as in LiveRun). */
  readonly consumerPrefix?: string;
  /** False: the run keeps no checkpoint, its consumers' ack floors are its only position, and there is nothing to compare. */
  readonly checkpoints?: boolean;
  /** Where notices go (one line each). Default: stderr. */
  readonly notice?: (line: string) => void;
}

export interface RecordingCheck {
  readonly lanes: readonly (LaneFacts & LaneVerdict)[];
}

/**
 * Compares the run's latest checkpoint with its durable consumers on the server: throws RecordingBehindError, with
 * the recovery, when the recording lacks inputs the consumers acknowledged and the stream cannot give them again.
 * Reads only (consumer and stream info, the checkpoints table). Runs reading other connectors pass unchecked.
 */
export async function checkRecording(o: RecordingCheckOptions): Promise<RecordingCheck> {
  if (o.checkpoints === false || !o.pipeline.sources.every((s) => s.connector === "jetstream")) return { lanes: [] };
  let checkpoint: { seq: bigint; input: unknown } | undefined;
  let status: string | undefined;
  try {
    checkpoint = await latestCheckpointInput(o.db, o.runId);
    status = checkpoint ? undefined : await recordedRunStatus(o.db, o.runId);
  } catch (e) {
    throw explainRecordingDamage(e, o.db.path);
  }
  const saved = (checkpoint?.input as JetStreamPosition | undefined)?.lanes;
  const jsm = await jetstreamManager(o.nc);
  const prefix = o.consumerPrefix ?? o.runId;
  const lanes: (LaneFacts & LaneVerdict)[] = [];
  for (const { index, source, subject, stream, durable } of laneLayout(o.pipeline.sources, prefix)) {
    const lane = saved?.[index];
    // A checkpoint of other lanes is refused by the input's resume (CHECKPOINT_MISMATCH), with its own message.
    if (checkpoint && (lane === undefined || lane.source !== source.name || lane.subject !== subject)) return { lanes: [] };
    const firstSeq = await streamFirstSeq(jsm, stream);
    // No stream: the input's open fails with its own message.
    if (firstSeq === undefined) return { lanes: [] };
    const facts: LaneFacts = {
      source: source.name,
      subject,
      stream,
      durable,
      ackFloor: await ackFloor(jsm, stream, durable),
      firstSeq,
      checkpoint: lane && { floor: BigInt(lane.floor), above: lane.above.map(BigInt) },
    };
    lanes.push({ ...facts, ...judgeLane(facts) });
  }
  const behind = lanes.filter((l) => l.behind !== undefined);
  if (behind.length) throw new RecordingBehindError(behindMessage(o, prefix, behind, checkpoint?.seq, status));
  const notice = o.notice ?? ((line: string) => void process.stderr.write(`${line}\n`));
  for (const l of lanes) if (l.notice) notice(`tickflow: run ${o.runId}: ${l.notice}`);
  return { lanes };
}

function behindMessage(
  o: RecordingCheckOptions,
  prefix: string,
  lanes: readonly (LaneFacts & LaneVerdict)[],
  seq: bigint | undefined,
  status?: string,
): string {
  const what = lanes.map((l) => l.behind).join("; ");
  const otherRun = `start a fresh run with another --run-id${prefix !== o.runId ? " and another --consumer prefix" : ""}, which reads the stream anew`;
  if (seq === undefined) {
    const record = status ? `run ${o.runId} is recorded (${status}) without a checkpoint` : `there is no record of run ${o.runId}`;
    const rm = lanes.map((l) => `nats consumer rm ${l.stream} ${l.durable}`).join("; ");
    return (
      `run ${o.runId}: ${what}, but the recording ${o.db.path} has no checkpoint of the run (${record}): the inputs acknowledged are missing from ` +
      `the recording (an older copy of the file, a write-ahead log that lost its last transactions, or a new file). To recover: restore the latest ` +
      `backup (tickflow restore <backup-dir> --force) and start again; or ${otherRun}; or delete the run's consumers (${rm}) so that run ` +
      `${o.runId} reads its stream again from the first message`
    );
  }
  return (
    `run ${o.runId}: the recording ${o.db.path} (checkpoint ${seq}) is behind its consumers: ${what}. To recover: restore a backup that holds ` +
    `those inputs (tickflow restore <backup-dir> --force) and start again; or ${otherRun}`
  );
}

async function ackFloor(jsm: JetStreamManager, stream: string, durable: string): Promise<bigint | undefined> {
  try {
    return BigInt((await jsm.consumers.info(stream, durable)).ack_floor.stream_seq);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw e;
  }
}

async function streamFirstSeq(jsm: JetStreamManager, stream: string): Promise<bigint | undefined> {
  try {
    return BigInt((await jsm.streams.info(stream)).state.first_seq);
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw e;
  }
}
