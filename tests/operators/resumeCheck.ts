// Shared by the operator tests' "resumes from a checkpoint after any chunk" cases: a seeded feed with disorder
// and late events, and the check that a run cut anywhere and resumed gives the outputs and late events of the
// uninterrupted one.
import { isDeepStrictEqual } from "node:util";
import { Subject, type Observable } from "rxjs";
import { expect } from "vitest";
import type { Chunk } from "../../core/chunk.ts";
import { cutsOf, runResumed, runWhole, type Build, type Feed } from "../helpers/resume.ts";
import { mulberry32 } from "../../models/prng.ts";

/**
 * Feeds of one input: `items` (ascending by tsEvent) cut every `size`, each chunk shuffled (disorder within the
 * watermark bound), with a late copy of every `lateEvery`-th item (made by `late`) delivered after the watermark
 * passed it. A chunk's watermark is the next chunk's first event time (after the last: `endWatermark`).
 */
export function disorderedFeeds<T extends { tsEvent: bigint }>(
  items: readonly T[],
  o: { size: number; seed: number; lateEvery: number; late: (item: T) => T; endWatermark?: bigint },
): Feed<T>[] {
  const rand = mulberry32(o.seed);
  const out: Feed<T>[] = [];
  for (let i = 0; i < items.length; i += o.size) {
    const part = items.slice(i, i + o.size);
    const next = items[i + o.size];
    for (let j = part.length - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [part[j], part[k]] = [part[k]!, part[j]!];
    }
    const lates = out.length > 1 ? items.slice(Math.max(0, i - 2 * o.size), i - o.size).filter((_, j) => j % o.lateEvery === 0) : [];
    out.push({
      input: 0,
      chunk: { items: [...part, ...lates.map(o.late)], watermark: next ? next.tsEvent : (o.endWatermark ?? part[part.length - 1]!.tsEvent + 1n) },
    });
  }
  return out;
}

/**
 * Checks that the operator `make` builds resumes exactly from a checkpoint after any feed: for every cut, the
 * resumed run's outputs and late events equal the uninterrupted run's, while at most cuts a run that restarts
 * with fresh state instead gives other results (so the feed makes the state matter).
 * `make` gets the list its late-event handler must push to. Returns the uninterrupted outputs and late events.
 */
export function expectResumesAfterAnyChunk<O>(
  make: (late: string[]) => Build<O>,
  feeds: readonly Feed[],
  o: { minOutputs: number; minLate?: number; inputCount?: number },
): { outputs: O[]; late: string[] } {
  const inputCount = o.inputCount ?? 1;
  const late: string[] = [];
  const outputs = runWhole(make(late), inputCount, feeds);
  expect(outputs.length, "the feed must make the operator emit").toBeGreaterThanOrEqual(o.minOutputs);
  expect(late.length, "the feed must have late events").toBeGreaterThanOrEqual(o.minLate ?? 0);
  let lostSomething = 0;
  for (const cut of cutsOf(feeds.length)) {
    const lateResumed: string[] = [];
    const r = runResumed(make(lateResumed), inputCount, feeds, cut);
    expect(r.cells.length, "the operator must declare its state").toBeGreaterThan(0);
    expect(r.outputs, `outputs when cut after feed ${cut}`).toEqual(outputs);
    expect(lateResumed, `late events when cut after feed ${cut}`).toEqual(late);
    const lateForgot: string[] = [];
    const forgot = runForgetting(make(lateForgot), inputCount, feeds, cut);
    if (!isDeepStrictEqual(forgot, outputs) || !isDeepStrictEqual(lateForgot, late)) lostSomething++;
  }
  // Were the state at every cut empty, restoring it would be trivially right: the feed must make it matter.
  expect(lostSomething, "cuts where a run that forgets its state gives other results").toBeGreaterThan(cutsOf(feeds.length).length / 2);
  return { outputs, late };
}

/** Outputs of a run that, after `cut` feeds, goes on in a fresh subscription with fresh state (a resume without state). */
function runForgetting<O>(build: Build<O>, inputCount: number, feeds: readonly Feed[], cut: number): O[] {
  const out: O[] = [];
  const part = (fs: readonly Feed[], complete: boolean): void => {
    const inputs = Array.from({ length: inputCount }, () => new Subject<Chunk<unknown>>());
    build(inputs as unknown as Observable<Chunk<never>>[]).subscribe((c) => out.push(...c.items));
    for (const f of fs) inputs[f.input]!.next(f.chunk);
    if (complete) for (const s of inputs) s.complete();
  };
  part(feeds.slice(0, cut), false);
  part(feeds.slice(cut), true);
  return out;
}
