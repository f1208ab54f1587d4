// `tickflow replay`: drives a pipeline over the recorded inputs, as fast as it can, into a run of its own.
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { PipelineRun, type OutputSink, type RunSummary } from "../runtime/pipelineRun.ts";
import { DuckDbSink } from "../sinks/duckDbSink.ts";
import { DeadLetterOutput, DuckDbOutputSink } from "../sinks/outputSinks.ts";
import { finishRunRecord, pipelineInstruments, startRunRecord } from "./runs.ts";
import { readRecording, type ReplayRange } from "./replayReader.ts";

export interface ReplayOptions {
  readonly pipeline: CompiledPipeline;
  readonly db: Database;
  readonly runId: string;
  readonly range?: ReplayRange;
  /** Inputs per batch through the operators. Default 8192. */
  readonly batchSize?: number;
  /** Record outputs of duckdb sinks under the run id. Default true. */
  readonly record?: boolean;
  /** Extra sinks (e.g. console), by the node they read. */
  readonly extraSinks?: readonly { sink: OutputSink; input: string }[];
  /** Called after each batch with the inputs processed so far and the batch's last event time. */
  readonly onProgress?: (inputs: number, lastTsNs: bigint) => void;
  readonly now?: () => bigint;
}

export async function replay(o: ReplayOptions): Promise<RunSummary> {
  const now = o.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  const record = o.record ?? true;
  const recorder = new DuckDbSink(o.db);
  const sinks: { sink: OutputSink; input: string }[] = [];
  if (record) {
    const duck = new DuckDbOutputSink(recorder, o.runId, 100_000);
    for (const s of o.pipeline.sinks) if (s.type === "duckdb") sinks.push({ sink: duck, input: s.input });
  }
  sinks.push(...(o.extraSinks ?? []));
  const run = new PipelineRun(o.pipeline, o.runId, sinks, record ? new DeadLetterOutput(o.runId, recorder) : undefined);
  if (record) await startRunRecord(o.db, { runId: o.runId, pipeline: o.pipeline.decl.name, mode: "replay", startedAt: now(), params: { range: { from: o.range?.fromNs?.toString(), to: o.range?.toNs?.toString() }, instruments: pipelineInstruments(o.pipeline) } });
  let status: "finished" | "failed" = "failed";
  try {
    for await (const batch of readRecording(o.db, o.pipeline.sources, o.range, o.batchSize)) {
      await run.process(batch.sources, batch.items, batch.watermark);
      if (batch.items.length) o.onProgress?.(run.counters.inputs, batch.items[batch.items.length - 1]!.tsEvent);
    }
    status = "finished";
    return await run.finish();
  } finally {
    if (record) await finishRunRecord(o.db, run.summary(), now(), status);
  }
}
