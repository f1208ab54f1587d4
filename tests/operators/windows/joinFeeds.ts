// Feeds for the joins' "resumes from a checkpoint after any chunk" cases: two seeded, disordered inputs with late
// events, interleaved by watermark as a pipeline delivers them.
import type { Feed } from "../../helpers/resume.ts";
import { interleave } from "../../helpers/resume.ts";
import { disorderedFeeds } from "../resumeCheck.ts";
import { mulberry32 } from "../../../models/prng.ts";

/** `count` events over `symbols`, ascending in time with gaps of 1..`maxGap` ns from `start`; `make` builds each one. */
export function randomTimes<T>(count: number, symbols: readonly string[], seed: number, make: (i: number, symbol: string, ts: bigint) => T, maxGap = 6): T[] {
  const rand = mulberry32(seed);
  const out: T[] = [];
  let ts = 1000n;
  for (let i = 0; i < count; i++) {
    ts += BigInt(1 + Math.floor(rand() * maxGap));
    out.push(make(i, symbols[Math.floor(rand() * symbols.length)]!, ts));
  }
  return out;
}

/** Left (input 0) and right (input 1) cut into disordered chunks with late copies, interleaved by watermark. */
export function joinFeeds<L extends { tsEvent: bigint }, R extends { tsEvent: bigint }>(
  left: readonly L[],
  right: readonly R[],
  o: { seed: number; lateLeft: (l: L) => L; lateRight: (r: R) => R },
): Feed[] {
  const l = disorderedFeeds(left, { size: 9, seed: o.seed, lateEvery: 4, late: o.lateLeft });
  const r = disorderedFeeds(right, { size: 7, seed: o.seed + 1, lateEvery: 3, late: o.lateRight }).map((f) => ({ ...f, input: 1 }));
  return interleave(l, r);
}
