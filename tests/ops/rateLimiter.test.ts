// Token buckets on a manual clock: bursts up to capacity, blocks with a Retry-After, refills continuously;
// the keyed limiter isolates keys and stays within maxKeys.
import { describe, expect, test } from "vitest";
import { KeyedRateLimiter, TokenBucket } from "../../ops/rateLimiter.ts";

const manualClock = (t = 0) => ({
  t,
  nowMs() {
    return this.t;
  },
});

describe("TokenBucket", () => {
  test("allows a burst up to capacity, then blocks with the time until one token is back", () => {
    const clock = manualClock();
    const b = new TokenBucket({ capacity: 3, refillPerSecond: 2, clock });
    expect([b.take(), b.take(), b.take()].map((d) => d.allowed)).toEqual([true, true, true]);
    expect(b.take()).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    clock.t += 499;
    expect(b.take().allowed).toBe(false);
    clock.t += 1;
    expect(b.take()).toMatchObject({ allowed: true, remaining: 0 });
  });

  test("refills continuously but never beyond capacity; a clock stepping back refills nothing", () => {
    const clock = manualClock(1_000);
    const b = new TokenBucket({ capacity: 4, refillPerSecond: 1, clock });
    for (let i = 0; i < 4; i++) b.take();
    clock.t += 2_500;
    expect(b.available()).toBeCloseTo(2.5);
    clock.t += 60_000;
    expect(b.available()).toBe(4);
    for (let i = 0; i < 4; i++) b.take();
    clock.t -= 10_000;
    expect(b.available()).toBe(0);
  });

  test("costs above 1 and invalid settings are explained", () => {
    const b = new TokenBucket({ capacity: 5, refillPerSecond: 5, clock: manualClock() });
    expect(b.take(5).allowed).toBe(true);
    expect(b.take(2)).toMatchObject({ allowed: false, retryAfterMs: 400 });
    expect(() => b.take(6)).toThrow(/costing 6 tokens can never pass a bucket of capacity 5/);
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(/capacity must be/);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(/refillPerSecond must be/);
  });
});

describe("KeyedRateLimiter", () => {
  test("one bucket per key: one client's burst does not block another", () => {
    const clock = manualClock();
    const l = new KeyedRateLimiter({ capacity: 2, refillPerSecond: 1, clock });
    expect([l.take("10.0.0.1"), l.take("10.0.0.1"), l.take("10.0.0.1")].map((d) => d.allowed)).toEqual([true, true, false]);
    expect(l.take("10.0.0.2").allowed).toBe(true);
    clock.t += 1_000;
    expect(l.take("10.0.0.1").allowed).toBe(true);
  });

  test("memory stays within maxKeys: full buckets go first, then the least recently used", () => {
    const clock = manualClock();
    const l = new KeyedRateLimiter({ capacity: 2, refillPerSecond: 1, maxKeys: 3, clock });
    l.take("a");
    l.take("a");
    l.take("b");
    l.take("c");
    clock.t += 500; // b and c are at 1.5 of 2, a at 0.5: none full
    l.take("d"); // evicts the least recently used: a
    expect(l.size).toBe(3);
    expect(l.take("a")).toMatchObject({ allowed: true, remaining: 1 }); // a fresh bucket: a was forgotten
  });
});
