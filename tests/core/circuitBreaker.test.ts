import { describe, expect, test } from "vitest";
import { CircuitBreaker, CircuitOpenError, type CircuitState } from "../../core/circuitBreaker.ts";

function manualClock(start = 1_000): { nowMs(): number; advance(ms: number): void } {
  let t = start;
  return { nowMs: () => t, advance: (ms) => void (t += ms) };
}

describe("CircuitBreaker", () => {
  test("opens after N consecutive failures, refuses while open, half-opens after the cool-down", () => {
    const clock = manualClock();
    const changes: string[] = [];
    const b = new CircuitBreaker("deploys", { failureThreshold: 3, coolDownMs: 500, clock, onStateChange: (f, t) => changes.push(`${f}->${t}`) });
    for (let i = 0; i < 2; i++) {
      expect(b.tryAcquire()).toBe(true);
      b.recordFailure();
      expect(b.state).toBe("closed");
    }
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    clock.advance(499);
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one trial at a time
    b.recordSuccess();
    expect(b.state).toBe("closed");
    expect(b.consecutiveFailures).toBe(0);
    expect(changes).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });

  test("a failed half-open trial re-opens for a full cool-down", () => {
    const clock = manualClock();
    const b = new CircuitBreaker("deploys", { failureThreshold: 1, coolDownMs: 100, clock });
    b.recordFailure();
    clock.advance(100);
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe("open");
    clock.advance(99);
    expect(b.state).toBe("open");
    clock.advance(1);
    expect(b.state).toBe("half-open");
  });

  test("a success resets the failure count, so failures must be consecutive", () => {
    const b = new CircuitBreaker("x", { failureThreshold: 2, clock: manualClock() });
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe("closed");
    b.recordFailure();
    expect(b.state).toBe("open");
  });

  test("run() counts outcomes and throws CircuitOpenError without calling the attempt when open", async () => {
    const clock = manualClock();
    const b = new CircuitBreaker("x", { failureThreshold: 2, coolDownMs: 1000, clock });
    let calls = 0;
    const fail = async (): Promise<never> => {
      calls++;
      throw new Error("boom");
    };
    await expect(b.run(fail)).rejects.toThrow("boom");
    await expect(b.run(fail)).rejects.toThrow("boom");
    const err = await b.run(fail).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAtMs).toBe(2000);
    expect((err as Error).message).toMatch(/is open after 2 consecutive failures; next trial allowed in 1000 ms/);
    expect(calls).toBe(2);
    clock.advance(1000);
    expect(await b.run(async () => 42)).toBe(42);
    expect(b.state satisfies CircuitState).toBe("closed");
  });

  test("rejects nonsense settings", () => {
    expect(() => new CircuitBreaker("x", { failureThreshold: 0, clock: manualClock() })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker("x", { coolDownMs: -1, clock: manualClock() })).toThrow(/coolDownMs/);
  });
});
