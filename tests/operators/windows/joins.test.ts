import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import { intervalJoin, type IntervalJoinOptions } from "../../../operators/intervalJoin.ts";
import { keyedJoin } from "../../../operators/keyedJoin.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { chunk, END, flat, runJoin, scheduler } from "./helpers.ts";

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
