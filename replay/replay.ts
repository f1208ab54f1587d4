// `tickflow replay`: drives a pipeline over the recorded inputs, as fast as it can, into a run of its own.
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { RunSummary } from "../runtime/pipelineRun.ts";
import { RunDriver, type BoundOutput } from "../runtime/runDriver.ts";
import { batchExtent } from "../runtime/ports.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { DeadLetterRecorder, DuckDbOutputSink, REPLAY_BUFFER_ROWS } from "../sinks/outputSinks.ts";
import { DuckDbRunJournal, recordedRun } from "./runs.ts";
import type { ReplayRange } from "./replayReader.ts";
import { RecordingInput } from "./recordingInput.ts";

export interface ReplayOptions {
  readonly pipeline: CompiledPipeline;
  readonly db: Database;
  readonly runId: string;
  readonly range?: ReplayRange;
  /** Inputs per batch through the operators. Default 8192. */
  readonly batchSize?: number;
  /** Record outputs of duckdb sinks under the run id. Default true. */
  readonly record?: boolean;
  /** Extra output ports (e.g. console), by the node they read. */
  readonly extraSinks?: readonly BoundOutput[];
  /** Called after each batch with the inputs processed so far and the batch's last event time. */
  readonly onProgress?: (inputs: number, lastTsNs: bigint) => void;
  readonly now?: () => bigint;
  /**
   * Replays up to a live run that is still open (stopped or interrupted, continued from its checkpoint): the input
   * ends at that run's checkpointed watermark and nothing is flushed, so the outputs are the live run's so far.
   * Default: that of the run `range.runId` names, if it is open.
   */
  readonly openAt?: bigint;
  /**
   * Trades as columns through the operators that read them (bars), no object per trade. Default true; false feeds
   * every input as an object, the reference the columnar path is tested against.
   */
  readonly columnar?: boolean;
}

export async function replay(o: ReplayOptions): Promise<RunSummary> {
  const record = o.record ?? true;
  // A replay of one live run (`--run`) ends where that run stands, if it is still open.
  const openAt = o.openAt ?? (o.range?.runId !== undefined ? (await recordedRun(o.db, o.range.runId))?.openAt : undefined);
  const recorder = new DuckDbRecorder(o.db);
  const outputs: BoundOutput[] = [];
  if (record) {
    // One buffering port for every duckdb sink, so the buffer bound holds for the whole run.
    const duck = new DuckDbOutputSink(recorder, o.runId, REPLAY_BUFFER_ROWS);
    for (const s of o.pipeline.sinks) if (s.type === "duckdb") outputs.push({ port: duck, node: s.input });
  }
  outputs.push(...(o.extraSinks ?? []));
  const driver = new RunDriver({
    pipeline: o.pipeline,
    runId: o.runId,
    mode: "replay",
    input: new RecordingInput(o.db, o.pipeline.sources, o.range, o.batchSize, openAt, o.columnar ?? true),
    flushAtEnd: openAt === undefined,
    outputs,
    deadLetters: record ? [new DeadLetterRecorder(o.runId, recorder)] : [],
    journal: record ? new DuckDbRunJournal(o.db, { range: { from: o.range?.fromNs?.toString(), to: o.range?.toNs?.toString() } }, o.now) : undefined,
    onCommitted: (b, run) => {
      const { count, lastTsEvent } = batchExtent(b);
      if (count && lastTsEvent !== undefined) o.onProgress?.(run.counters.inputs, lastTsEvent);
    },
  });
  return driver.execute();
}
