// Input and output ports held in memory: tests, checks and the library API feed a run from arrays and collect what
// each node emitted, through the same driver as live and replay.
import type { Kind } from "../schemas/kinds.ts";
import type { InputBatch, InputPort, OutputPort, OutputStage, Timed } from "./ports.ts";

/** Batches given up front (or produced lazily by a generator), in order. */
export class MemoryInput implements InputPort {
  readonly name = "memory";
  constructor(private readonly source: Iterable<InputBatch> | AsyncIterable<InputBatch>) {}

  static of(batches: Iterable<InputBatch> | AsyncIterable<InputBatch>): MemoryInput {
    return new MemoryInput(batches);
  }

  /**
   * Items of one source in event-time order cut into batches of `size`; each batch's watermark is the next
   * batch's first event time, the last one's `endWatermark`.
   */
  static chunked(items: readonly Timed[], size: number, endWatermark: bigint, sources?: ArrayLike<number>): MemoryInput {
    const batches: InputBatch[] = [];
    for (let i = 0; i < items.length; i += size) {
      const j = Math.min(i + size, items.length);
      const src = sources ? Array.from({ length: j - i }, (_, k) => sources[i + k]!) : new Array<number>(j - i).fill(0);
      batches.push({ items: items.slice(i, j), sources: src, watermark: j < items.length ? items[j]!.tsEvent : endWatermark });
    }
    return new MemoryInput(batches);
  }

  async *batches(): AsyncIterable<InputBatch> {
    yield* this.source;
  }
}

/** Keeps every item each node emitted, in order. */
export class CollectingOutput implements OutputPort {
  readonly byNode = new Map<string, unknown[]>();
  readonly kinds = new Map<string, Kind>();
  constructor(
    readonly name = "collect",
    readonly stage: OutputStage = "observe",
  ) {}

  async write(node: string, kind: Kind, items: readonly unknown[]): Promise<void> {
    const list = this.byNode.get(node) ?? this.byNode.set(node, []).get(node)!;
    for (const x of items) list.push(x);
    this.kinds.set(node, kind);
  }

  get<T>(node: string): T[] {
    return (this.byNode.get(node) ?? []) as T[];
  }
}
