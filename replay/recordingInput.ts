// The recording as an input port: the recorded inputs of a pipeline's sources, merged in the order live
// sequencing uses (event time, source rank, stream sequence), one DuckDB chunk per source at a time.
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledSource } from "../pipeline/graph.ts";
import type { InputBatch, InputPort } from "../runtime/ports.ts";
import { readRecording, type ReplayRange } from "./replayReader.ts";

export class RecordingInput implements InputPort {
  readonly name = "recording";
  constructor(
    private readonly db: Database,
    private readonly sources: readonly CompiledSource[],
    private readonly range: ReplayRange = {},
    private readonly batchSize = 8192,
    /** The watermark the input ends at (a live run still open there), instead of the end of time. */
    private readonly openAt?: bigint,
    /** Trades as columns (schemas/tradeColumns.ts), no object per trade unless one is read. Default on. */
    private readonly columnar = true,
  ) {}

  async *batches(): AsyncIterable<InputBatch> {
    // Replayed inputs are already recorded: no origins, nothing to acknowledge.
    const cap = this.openAt;
    for await (const b of readRecording(this.db, this.sources, this.range, { batchSize: this.batchSize, columnar: this.columnar })) {
      // Not a spread: that would build the rows of a columnar batch.
      yield cap !== undefined && b.watermark > cap ? withWatermark(b, cap) : b;
    }
  }
}

/** The same batch with another watermark; `items` and `sources` still built only when read. */
function withWatermark(b: InputBatch, watermark: bigint): InputBatch {
  return {
    watermark,
    segments: b.segments,
    get items() {
      return b.items;
    },
    get sources() {
      return b.sources;
    },
  };
}
