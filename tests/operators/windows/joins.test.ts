import { describe, expect, it } from "vitest";
import { Subject, type Observable } from "rxjs";
import { intervalJoin, type IntervalJoinOptions } from "../../../operators/intervalJoin.ts";
import { keyedJoin } from "../../../operators/keyedJoin.ts";
import { asofJoin } from "../../../operators/asofJoin.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { StateRegistry } from "../../../core/state.ts";
import { decodeState, encodeState } from "../../../core/stateCodec.ts";
import { chunk, END, flat, runJoin, scheduler } from "./helpers.ts";
import { joinFeeds, randomTimes } from "./joinFeeds.ts";
import { expectResumesAfterAnyChunk } from "../resumeCheck.ts";

interface E {
  readonly id: string;
  readonly symbol: string;
  readonly tsEvent: bigint;
}
const e = (id: string, symbol: string, ts: number): E => ({ id, symbol, tsEvent: BigInt(ts) });

const opts = (lower: number, upper: number, extra: Partial<IntervalJoinOptions<E, E, string>> = {}): IntervalJoinOptions<E, E, string> => ({
  leftKey: (x) => x.symbol,
  rightKey: (x) => x.symbol,
  lowerNs: BigInt(lower),
  upperNs: BigInt(upper),
  combine: (l, r) => `${l.id}+${r.id}`,
  onLate: () => undefined,
  ...extra,
});
/** Seeded left and right events over three symbols, disordered, with late copies (ids ending in "-late"). */
const resumeFeeds = (seed: number) =>
  joinFeeds(
    randomTimes(240, ["A", "B", "C"], seed, (i, s, ts) => ({ id: `L${i}`, symbol: s, tsEvent: ts })),
    randomTimes(240, ["A", "B", "C"], seed + 7, (i, s, ts) => ({ id: `R${i}`, symbol: s, tsEvent: ts })),
    { seed, lateLeft: (l: E) => ({ ...l, id: `${l.id}-late` }), lateRight: (r: E) => ({ ...r, id: `${r.id}-late` }) },
  );
const onLate = (late: string[]) => (x: E, side: string) => late.push(`${side}:${x.id}`);

const ij = (o: IntervalJoinOptions<E, E, string>) => (l: Observable<Chunk<E>>, r: Observable<Chunk<E>>) => intervalJoin(l, r, o);

describe("intervalJoin", () => {
  it("pairs same-key events with right − left in [lower, upper], each pair once, when the smaller watermark passes", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const left = cold<Chunk<E>>("-a---c|", { a: chunk([e("L10", "A", 10)], 11), c: chunk([e("L30", "A", 30)], END) });
      const right = cold<Chunk<E>>("--b-d-|", { b: chunk([e("R8", "A", 8), e("R9", "B", 9), e("R12", "A", 12)], 13), d: chunk([e("R20", "A", 20)], END) });
      expectObservable(intervalJoin(left, right, opts(-2, 3))).toBe("--x--y|", {
        x: chunk(["L10+R8"], 11),
        y: chunk(["L10+R12"], END),
      });
    });
  });

  it("events at equal times: left is processed first, and [0, 0] joins exact-time matches", () => {
    const out = flat(runJoin(ij(opts(0, 0)), [chunk([e("L1", "A", 5), e("L2", "A", 5)], END)], [chunk([e("R1", "A", 5), e("R2", "A", 6)], END)]).out);
    expect(out).toEqual(["L1+R1", "L2+R1"]);
  });

  it("out-of-order input within each stream is joined in event-time order", () => {
    const out = flat(
      runJoin(ij(opts(-5, 5)), [chunk([e("L15", "A", 15), e("L10", "A", 10)], 10), chunk([], END)], [chunk([e("R12", "A", 12), e("R9", "A", 9)], END)]).out,
    );
    expect(out).toEqual(["L10+R9", "L10+R12", "L15+R12"]);
  });

  it("maxPerKey keeps only the newest live events per key and side", () => {
    const right = [chunk([e("R1", "A", 1), e("R2", "A", 2), e("R3", "A", 3)], END)];
    const left = [chunk([e("L4", "A", 4)], END)];
    expect(flat(runJoin(ij(opts(-10, 0, { maxPerKey: 2 })), left, right).out)).toEqual(["L4+R2", "L4+R3"]);
    expect(flat(runJoin(ij(opts(-10, 0)), left, right).out)).toEqual(["L4+R1", "L4+R2", "L4+R3"]);
  });

  it("late events (behind the join watermark) go to onLate with their side; empty keys and empty chunks are fine", () => {
    const late: string[] = [];
    const o = opts(-1, 1, { onLate: (x, side) => late.push(`${side}:${x.id}`) });
    const r = runJoin(ij(o), [chunk([e("L5", "", 5)], 6), chunk([e("L3", "", 3)], END)], [chunk([], 1), chunk([e("R5", "", 5)], 10)], [0, 1, 1, 0]);
    expect(flat(r.out)).toEqual(["L5+R5"]);
    expect(late).toEqual(["left:L3"]);
    expect(r.completed).toBe(true);
  });

  it("completion flushes what is buffered: the end of both inputs is the end of event time", () => {
    const r = runJoin(ij(opts(0, 0)), [chunk([e("L", "A", 5)], 0)], [chunk([e("R", "A", 5)], 0)]);
    expect(flat(r.out)).toEqual(["L+R"]);
    expect(r.out[r.out.length - 1]!.watermark).toBe(END);
  });

  it("early unsubscribe unsubscribes both inputs; errors and a throwing combine propagate", () => {
    const boom = new Error("combine failed");
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const l = cold<Chunk<E>>("-a-a-a|", { a: chunk([], 1) });
      const r = cold<Chunk<E>>("-a-a-a|", { a: chunk([], 1) });
      expectObservable(intervalJoin(l, r, opts(0, 1)), "^--!").toBe("-x-", { x: chunk<string>([], 1) });
      expectSubscriptions(l.subscriptions).toBe("^--!");
      expectSubscriptions(r.subscriptions).toBe("^--!");

      const bad = cold<Chunk<E>>("-#", undefined, boom);
      expectObservable(intervalJoin(bad, cold<Chunk<E>>("----|"), opts(0, 1))).toBe("-#", undefined, boom);

      const l2 = cold<Chunk<E>>("-a|", { a: chunk([e("L", "A", 1)], END) });
      const r2 = cold<Chunk<E>>("-a|", { a: chunk([e("R", "A", 1)], END) });
      expectObservable(
        intervalJoin(
          l2,
          r2,
          opts(0, 1, {
            combine: () => {
              throw boom;
            },
          }),
        ),
      ).toBe("-#", undefined, boom);
    });
  });

  it("resumes from a checkpoint after any chunk (kept events per key, eviction queue, per-key cap, merge buffers)", () => {
    for (const [lower, upper, maxPerKey] of [
      [-20, 15, 3],
      [-30, -5, undefined],
      [4, 25, 2],
    ] as const) {
      expectResumesAfterAnyChunk<string>(
        (late) =>
          ([l, r]) =>
            intervalJoin<E, E, string>(l!, r!, opts(lower, upper, { maxPerKey, onLate: onLate(late) })),
        resumeFeeds(lower + 100),
        { inputCount: 2, minOutputs: 100, minLate: 10 },
      );
    }
  });

  it("a restored join still evicts the events it kept before the checkpoint", () => {
    const start = (saved?: string) => {
      const l$ = new Subject<Chunk<E>>();
      const r$ = new Subject<Chunk<E>>();
      const registry = new StateRegistry();
      registry.within("join", () => intervalJoin(l$, r$, opts(-5, 5)).subscribe());
      if (saved !== undefined) registry.load(decodeState(saved) as never);
      return { l$, r$, save: () => encodeState(registry.save()) };
    };
    const kept = (saved: string) =>
      Object.values(decodeState(saved) as Record<string, { data: { s: { lefts: { byKey: Map<string, unknown[]> } } } }>)[0]!.data.s.lefts.byKey.size;
    const a = start();
    a.l$.next(chunk([e("L1", "A", 1), e("L2", "B", 2)], 3));
    a.r$.next(chunk([], 3));
    const saved = a.save();
    expect(kept(saved)).toBe(2);
    const b = start(saved);
    b.l$.next(chunk([], 100));
    b.r$.next(chunk([], 100));
    expect(kept(b.save())).toBe(0);
  });

  it("rejects lower > upper", () => {
    expect(() => intervalJoin(null as never, null as never, opts(2, 1))).toThrow(/lowerNs \(2\) must be <= upperNs \(1\)/);
  });
});

describe("keyedJoin", () => {
  it("joins events of the same key at most ttl apart, in both directions", () => {
    const rows = [chunk([e("row100", "AAPL", 100), e("rowM", "MSFT", 100)], END)];
    const news = [chunk([e("n50", "AAPL", 50), e("n95", "AAPL", 95), e("n120", "AAPL", 120), e("n200", "AAPL", 200)], END)];
    const out = flat(
      runJoin(
        (l, r) =>
          keyedJoin(l, r, {
            leftKey: (x: E) => x.symbol,
            rightKey: (x: E) => x.symbol,
            ttlNs: 30n,
            combine: (a, b) => `${a.id}+${b.id}`,
            onLate: () => undefined,
          }),
        rows,
        news,
      ).out,
    );
    expect(out).toEqual(["row100+n95", "row100+n120"]);
  });

  it("caps state per key (default 1,000; here 1) and evicts by event time", () => {
    const rows = [chunk([e("r1", "A", 1), e("r2", "A", 2)], END)];
    const news = [chunk([e("n3", "A", 3), e("n100", "A", 100)], END)];
    const out = flat(
      runJoin(
        (l, r) =>
          keyedJoin(l, r, {
            leftKey: (x: E) => x.symbol,
            rightKey: (x: E) => x.symbol,
            ttlNs: 10n,
            maxPerKey: 1,
            combine: (a, b) => `${a.id}+${b.id}`,
            onLate: () => undefined,
          }),
        rows,
        news,
      ).out,
    );
    expect(out).toEqual(["r2+n3"]);
  });
});

describe("keyedJoin resume", () => {
  it("resumes from a checkpoint after any chunk", () => {
    expectResumesAfterAnyChunk<string>(
      (late) =>
        ([l, r]) =>
          keyedJoin<E, E, string>(l!, r!, {
            leftKey: (x) => x.symbol,
            rightKey: (x) => x.symbol,
            ttlNs: 25n,
            maxPerKey: 2,
            combine: (a, b) => `${a.id}+${b.id}`,
            onLate: onLate(late),
          }),
      resumeFeeds(3),
      { inputCount: 2, minOutputs: 100, minLate: 10 },
    );
  });
});

describe("asofJoin", () => {
  const asof =
    (maxKeys?: number, late: string[] = []) =>
    (l: Observable<Chunk<E>>, r: Observable<Chunk<E>>) =>
      asofJoin(l, r, {
        leftKey: (x) => x.symbol,
        rightKey: (x) => x.symbol,
        maxStalenessNs: 30n,
        maxKeys,
        combine: (a, b, age) => `${a.id}<${b?.id ?? "-"}@${age ?? "-"}`,
        onLate: onLate(late),
      });

  it("joins each left event with the latest right one of its key at or before it, within the staleness bound", () => {
    const left = [chunk([e("L10", "A", 10), e("L20", "A", 20), e("L50", "A", 50), e("L40", "B", 40)], END)];
    const right = [chunk([e("R5", "A", 5), e("R10", "A", 10), e("R11", "A", 11), e("R1", "B", 1)], END)];
    expect(flat(runJoin(asof(), left, right).out)).toEqual(["L10<R10@0", "L20<R11@9", "L40<-@-", "L50<-@-"]);
  });

  it("maxKeys forgets the least recently updated key", () => {
    const left = [chunk([e("LA", "A", 10), e("LB", "B", 10)], END)];
    const right = [chunk([e("RA", "A", 1), e("RB", "B", 2), e("RA2", "A", 3), e("RC", "C", 4)], END)];
    expect(flat(runJoin(asof(2), left, right).out)).toEqual(["LA<RA2@7", "LB<-@-"]);
  });

  it("resumes from a checkpoint after any chunk (latest right event per key, key eviction, merge buffers)", () => {
    expectResumesAfterAnyChunk<string>(
      (late) =>
        ([l, r]) =>
          asof(2, late)(l!, r!),
      resumeFeeds(5),
      { inputCount: 2, minOutputs: 200, minLate: 10 },
    );
  });
});
