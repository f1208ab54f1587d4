// Property tests (fast-check): invariants that must hold on any series, not just the fixture.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BollingerBands,
  Ema,
  Rsi,
  Sma,
  Stochastic,
  Wma,
  ZScore,
  createIndicator,
  restoreIndicator,
  indicatorRegistry,
} from "../../../operators/indicators/index.ts";
import { expectClose, stream } from "./fixture.ts";
import * as ref from "./reference.ts";

const price = fc.double({ min: 0.01, max: 1e5, noNaN: true, noDefaultInfinity: true });
const prices = fc.array(price, { minLength: 1, maxLength: 120 });
const period = fc.integer({ min: 2, max: 30 });
const bar = fc
  .tuple(price, fc.double({ min: 0, max: 0.2, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }))
  .map(([mid, spread, pos, volume]) => {
    const low = mid * (1 - spread);
    const high = mid * (1 + spread);
    const close = low + (high - low) * pos;
    return { open: mid, high, low, close, volume };
  });
const bars = fc.array(bar, { minLength: 1, maxLength: 120 });

describe("indicator properties", () => {
  it("SMA, EMA and WMA of a constant series are that constant", () => {
    fc.assert(
      fc.property(price, period, fc.integer({ min: 1, max: 200 }), (c, n, len) => {
        const xs = Array(len).fill(c);
        for (const k of [new Sma(n), new Ema(n), new Wma(n)]) {
          for (const v of stream(k, xs)) if (v !== undefined) expectClose(v, c, 1e-12);
        }
      }),
    );
  });

  it("RSI stays in [0, 100]; Stochastic %K/%D too", () => {
    fc.assert(
      fc.property(prices, period, (xs, n) => {
        for (const v of stream(new Rsi(n), xs)) if (v !== undefined) expect(v >= 0 && v <= 100).toBe(true);
      }),
    );
    fc.assert(
      fc.property(bars, period, (bs, n) => {
        for (const v of stream(new Stochastic(n, 3, 3), bs)) {
          if (v !== undefined) expect(v.k >= -1e-9 && v.k <= 100 + 1e-9 && v.d >= -1e-9 && v.d <= 100 + 1e-9).toBe(true);
        }
      }),
    );
  });

  it("streaming equals the batch reference (SMA, EMA, RSI)", () => {
    fc.assert(
      fc.property(prices, period, (xs, n) => {
        const pairs = [
          [stream(new Sma(n), xs), ref.sma(xs, n)],
          [stream(new Ema(n), xs), ref.ema(xs, n)],
          [stream(new Rsi(n), xs), ref.rsi(xs, n)],
        ] as const;
        for (const [got, want] of pairs) {
          got.forEach((v, i) => {
            if (want[i] === undefined) expect(v).toBeUndefined();
            else expectClose(v, want[i]!, 1e-7);
          });
        }
      }),
    );
  });

  it("Bollinger bands bracket the middle; a flat window has zero width and zero z-score", () => {
    fc.assert(
      fc.property(prices, period, (xs, n) => {
        for (const v of stream(new BollingerBands(n, 2), xs)) if (v) expect(v.lower <= v.middle && v.middle <= v.upper).toBe(true);
      }),
    );
    fc.assert(
      fc.property(prices, price, period, (xs, c, n) => {
        // Any history, then a flat stretch of n values: the window is flat whatever the drift before.
        const series = [...xs, ...Array(n).fill(c)];
        const bb = stream(new BollingerBands(n, 2), series).at(-1)!;
        expect(bb.upper).toBe(bb.lower);
        expect(stream(new ZScore(n), series).at(-1)).toBe(0);
      }),
    );
  });

  it("any checkpointable registry indicator restored mid-stream continues exactly", () => {
    const names = Object.values(indicatorRegistry)
      .filter((s) => s.checkpointable && s.implementation === "tickflow")
      .map((s) => s.name);
    fc.assert(
      fc.property(bars, fc.nat(), fc.constantFrom(...names), (bs, cutSeed, name) => {
        const cut = cutSeed % (bs.length + 1);
        const whole = createIndicator(name);
        const expected = bs.map((b) => whole.update(b));
        const first = createIndicator(name);
        const head = bs.slice(0, cut).map((b) => first.update(b));
        const restored = restoreIndicator(JSON.parse(JSON.stringify(first.toState())));
        expect([...head, ...bs.slice(cut).map((b) => restored.update(b))]).toEqual(expected);
      }),
    );
  });
});
