// Checks that an operator's state survives a checkpoint: the outputs of a run stopped after any chunk, saved
// through the checkpoint codec and restored into a fresh subscription, equal those of the uninterrupted run.
// An operator that keeps something outside its declared state fails it.
import { Subject, type Observable } from "rxjs";
import type { Chunk } from "../../core/chunk.ts";
import { StateRegistry } from "../../core/state.ts";
import { decodeState, encodeState } from "../../core/stateCodec.ts";

/** One chunk fed to input `input` of the operator under test. */
export interface Feed<T = unknown> {
  readonly input: number;
  readonly chunk: Chunk<T>;
}

export type Build<O> = (inputs: Observable<Chunk<never>>[]) => Observable<Chunk<O>>;

interface Instance<O> {
  readonly inputs: Subject<Chunk<unknown>>[];
  readonly registry: StateRegistry;
  readonly out: O[];
  error?: unknown;
}

function instance<O>(build: Build<O>, inputCount: number): Instance<O> {
  const inputs = Array.from({ length: inputCount }, () => new Subject<Chunk<unknown>>());
  const registry = new StateRegistry();
  const inst: Instance<O> = { inputs, registry, out: [] };
  const out$ = build(inputs as unknown as Observable<Chunk<never>>[]);
  registry.within("node", () =>
    out$.subscribe({
      next: (c) => {
        for (const x of c.items) inst.out.push(x);
      },
      error: (e) => (inst.error = e),
    }),
  );
  return inst;
}

function feed<O>(inst: Instance<O>, feeds: readonly Feed[]): void {
  for (const f of feeds) {
    inst.inputs[f.input]!.next(f.chunk);
    if (inst.error) throw inst.error;
  }
}

/** Outputs of the uninterrupted run, then completion of every input. */
export function runWhole<O>(build: Build<O>, inputCount: number, feeds: readonly Feed[]): O[] {
  const inst = instance(build, inputCount);
  feed(inst, feeds);
  for (const s of inst.inputs) s.complete();
  if (inst.error) throw inst.error;
  return inst.out;
}

/** Outputs of a run checkpointed after `cut` feeds and resumed in a fresh subscription; also returns the saved text. */
export function runResumed<O>(build: Build<O>, inputCount: number, feeds: readonly Feed[], cut: number): { outputs: O[]; saved: string; cells: string[] } {
  const first = instance(build, inputCount);
  feed(first, feeds.slice(0, cut));
  const saved = encodeState(first.registry.save(), "operator state");
  const second = instance(build, inputCount);
  second.registry.load(decodeState(saved) as never);
  feed(second, feeds.slice(cut));
  for (const s of second.inputs) s.complete();
  if (second.error) throw second.error;
  return { outputs: [...first.out, ...second.out], saved, cells: first.registry.keys };
}

/** Cut points to try: every one for short feeds, else `count` spread evenly (first and last included). */
export function cutsOf(n: number, count = 25): number[] {
  if (n <= count) return Array.from({ length: n + 1 }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * n) / (count - 1)));
}

/** Chunks of one input: `items` in order, cut every `size`, each chunk's watermark the next chunk's first time. */
export function chunksOf<T extends { tsEvent: bigint }>(items: readonly T[], size: number, input = 0, endWatermark?: bigint): Feed<T>[] {
  const out: Feed<T>[] = [];
  for (let i = 0; i < items.length; i += size) {
    const j = Math.min(i + size, items.length);
    const watermark = j < items.length ? items[j]!.tsEvent : (endWatermark ?? items[j - 1]!.tsEvent + 1n);
    out.push({ input, chunk: { items: items.slice(i, j), watermark } });
  }
  return out;
}

/**
 * Interleaves the chunks of several inputs by watermark (stable), as a pipeline would deliver them.
 */
export function interleave(...feeds: Feed[][]): Feed[] {
  return feeds.flat().sort((a, b) => (a.chunk.watermark < b.chunk.watermark ? -1 : a.chunk.watermark > b.chunk.watermark ? 1 : 0));
}
