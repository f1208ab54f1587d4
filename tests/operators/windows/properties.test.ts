// Determinism properties (fast-check): the same item sequence cut into random chunks, with the tightest honest
// watermarks, gives the identical output sequence as one chunk; and the windows/joins agree with brute force.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import { tumblingWindow } from "../../../operators/tumblingWindow.ts";
import { slidingWindow } from "../../../operators/slidingWindow.ts";
import { sessionWindow } from "../../../operators/sessionWindow.ts";
import { resampleBars } from "../../../operators/resampleBars.ts";
import { intervalJoin } from "../../../operators/intervalJoin.ts";
import { keyedJoin } from "../../../operators/keyedJoin.ts";
import { priceStats } from "../../../operators/windowAggregates.ts";
import type { Bar } from "../../../schemas/bar.ts";
import { chunk, collectTimes, cutIntoChunks, END, flat, runChunks, runJoin, type Ev } from "./helpers.ts";

const RUNS = { numRuns: 150 };
const evArb = fc.record({ symbol: fc.constantFrom("A", "B", "C", ""), tsEvent: fc.bigInt({ min: -20n, max: 200n }) }) as fc.Arbitrary<Ev>;
const evs = fc.array(evArb, { maxLength: 60 });
const cuts = fc.array(fc.nat({ max: 60 }), { maxLength: 12 });
const noLate = {
  onLate: (_e: unknown, reason: string) => {
    throw new Error(`unexpected late event: ${reason}`);
  },
};

function sameOutputWhateverTheChunks<I extends { tsEvent: bigint }, O>(make: () => (c: Chunk<I>[]) => O[], items: I[], cutPoints: number[]): void {
  const once = make()([chunk(items, END)]);
  const cut = make()(cutIntoChunks(items, cutPoints));
  expect(cut).toEqual(once);
}

const windowRun =
  <O>(op: Parameters<typeof runChunks<Ev, O>>[0]) =>
  (c: Chunk<Ev>[]) =>
    flat(runChunks(op, c).out);

describe("window determinism under random chunking", () => {
  it("tumblingWindow, and it equals a group-by", () => {
    fc.assert(
      fc.property(evs, cuts, fc.bigInt({ min: 1n, max: 40n }), (items, cp, size) => {
        const make = () => windowRun(tumblingWindow({ sizeNs: size, aggregate: collectTimes(), ...noLate }));
        sameOutputWhateverTheChunks(make, items, cp);
        const got = make()([chunk(items, END)]);
        const groups = new Map<string, number[]>();
        for (const x of items) {
          const s = x.tsEvent - (((x.tsEvent % size) + size) % size);
          const k = `${s + size}|${x.symbol}`;
          groups.set(k, [...(groups.get(k) ?? []), Number(x.tsEvent)]);
        }
        expect(got.map((w) => `${w.end}|${w.key}`)).toEqual(
          [...groups.keys()].sort((a, b) => {
            const [ea, ka] = a.split("|");
            const [eb, kb] = b.split("|");
            return Number(ea) - Number(eb) || (ka! < kb! ? -1 : ka! > kb! ? 1 : 0);
          }),
        );
        for (const w of got) expect(w.ts).toEqual(groups.get(`${w.end}|${w.key}`));
      }),
      RUNS,
    );
  });

  it("slidingWindow", () => {
    fc.assert(
      fc.property(evs, cuts, fc.bigInt({ min: 1n, max: 10n }), fc.integer({ min: 1, max: 4 }), (items, cp, slide, k) => {
        sameOutputWhateverTheChunks(
          () => windowRun(slidingWindow({ sizeNs: slide * BigInt(k), slideNs: slide, aggregate: collectTimes(), ...noLate })),
          items,
          cp,
        );
      }),
      RUNS,
    );
  });

  it("sessionWindow, and it equals splitting each key's sorted times at gaps", () => {
    fc.assert(
      fc.property(evs, cuts, fc.bigInt({ min: 1n, max: 30n }), (items, cp, gap) => {
        const make = () => windowRun(sessionWindow({ gapNs: gap, aggregate: collectTimes(), ...noLate }));
        sameOutputWhateverTheChunks(make, items, cp);
        const got = make()([chunk(items, END)]);
        const expected: string[] = [];
        for (const key of new Set(items.map((x) => x.symbol))) {
          const ts = items
            .filter((x) => x.symbol === key)
            .map((x) => x.tsEvent)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          let start = ts[0]!;
          for (let i = 1; i <= ts.length; i++) {
            if (i === ts.length || ts[i]! - ts[i - 1]! >= gap) {
              expected.push(`${key}[${start},${ts[i - 1]! + gap})`);
              if (i < ts.length) start = ts[i]!;
            }
          }
        }
        expect(got.map((w) => `${w.key}[${w.start},${w.end})`).sort()).toEqual(expected.sort());
        expect(got.reduce((n, w) => n + w.ts.length, 0)).toBe(items.length);
      }),
      RUNS,
    );
  });

  it("sessionWindow with priceStats (merging reducer) is chunk-independent too", () => {
    const pts = fc.array(
      fc.record({
        symbol: fc.constantFrom("A", "B"),
        tsEvent: fc.bigInt({ min: 0n, max: 100n }),
        price: fc.double({ min: 1, max: 2, noNaN: true }),
        volume: fc.integer({ min: 1, max: 5 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(pts, cuts, (raw, cp) => {
        const items = raw.map((p) => ({ ...p, notional: p.price * p.volume }));
        sameOutputWhateverTheChunks(() => (c) => flat(runChunks(sessionWindow({ gapNs: 7n, aggregate: priceStats(), ...noLate }), c).out), items, cp);
      }),
      RUNS,
    );
  });

  it("resampleBars (UTC buckets and a session)", () => {
    const MIN = 60_000_000_000n;
    const barArb = fc.record({
      symbol: fc.constantFrom("A", "B"),
      minute: fc.integer({ min: 0, max: 300 }),
      price: fc.integer({ min: 10, max: 20 }),
      volume: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(barArb, { maxLength: 50 }), cuts, fc.constantFrom("5m", "15m", "1h", "1d"), fc.boolean(), (raw, cp, tf, withSession) => {
        const bars: Bar[] = raw.map((r) => ({
          symbol: r.symbol,
          timeframe: "1m",
          tsOpen: BigInt(r.minute) * MIN,
          tsEvent: BigInt(r.minute + 1) * MIN,
          open: r.price,
          high: r.price + 1,
          low: r.price - 1,
          close: r.price,
          volume: r.volume,
          vwap: r.price,
          trades: 1,
        }));
        const session = withSession ? { timezone: "UTC", open: "01:00", close: "03:30" } : undefined;
        sameOutputWhateverTheChunks(
          () => (c) =>
            flat(
              runChunks(
                resampleBars({
                  timeframe: tf,
                  session,
                  onLate: (_b, r) => {
                    if (!/outside the trading session/.test(r)) throw new Error(r);
                  },
                }),
                c,
              ).out,
            ),
          bars,
          cp,
        );
      }),
      RUNS,
    );
  });
});

describe("join determinism under random chunking and interleaving", () => {
  interface J {
    id: string;
    symbol: string;
    tsEvent: bigint;
  }
  const side = (prefix: string) =>
    fc
      .array(fc.record({ symbol: fc.constantFrom("A", "B"), tsEvent: fc.bigInt({ min: 0n, max: 60n }) }), { maxLength: 30 })
      .map((xs) => xs.map((x, i): J => ({ ...x, id: `${prefix}${i}` })));
  const order = fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 40 });
  const base = {
    leftKey: (x: J) => x.symbol,
    rightKey: (x: J) => x.symbol,
    combine: (l: J, r: J) => `${l.id}+${r.id}`,
    onLate: () => {
      throw new Error("unexpected late");
    },
  };

  it("intervalJoin: identical sequence however cut and interleaved, and the same pairs as brute force", () => {
    fc.assert(
      fc.property(
        side("L"),
        side("R"),
        cuts,
        cuts,
        order,
        fc.integer({ min: -10, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (left, right, cl, cr, ord, lo, width) => {
          const o = { ...base, lowerNs: BigInt(lo), upperNs: BigInt(lo + width) };
          const j = (l: Observable<Chunk<J>>, r: Observable<Chunk<J>>) => intervalJoin(l, r, o);
          const once = flat(runJoin(j, [chunk(left, END)], [chunk(right, END)]).out);
          const cut = flat(runJoin(j, cutIntoChunks(left, cl), cutIntoChunks(right, cr), ord).out);
          expect(cut).toEqual(once);
          const brute: string[] = [];
          for (const l of left)
            for (const r of right) {
              const d = r.tsEvent - l.tsEvent;
              if (l.symbol === r.symbol && d >= o.lowerNs && d <= o.upperNs) brute.push(`${l.id}+${r.id}`);
            }
          expect([...once].sort()).toEqual(brute.sort());
        },
      ),
      RUNS,
    );
  });

  it("keyedJoin with a small per-key cap: identical sequence however cut and interleaved", () => {
    fc.assert(
      fc.property(
        side("L"),
        side("R"),
        cuts,
        cuts,
        order,
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 3 }),
        (left, right, cl, cr, ord, ttl, cap) => {
          const j = (l: Observable<Chunk<J>>, r: Observable<Chunk<J>>) => keyedJoin(l, r, { ...base, ttlNs: BigInt(ttl), maxPerKey: cap });
          const once = flat(runJoin(j, [chunk(left, END)], [chunk(right, END)]).out);
          expect(flat(runJoin(j, cutIntoChunks(left, cl), cutIntoChunks(right, cr), ord).out)).toEqual(once);
        },
      ),
      RUNS,
    );
  });
});
