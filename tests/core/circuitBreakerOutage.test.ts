// The breaker as an outage report (the JetStream publishes' health): since when it has not been closed, through
// open → half-open → open cycles, until a success closes it.
import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../core/circuitBreaker.ts";

describe("CircuitBreaker.trippedAtMs", () => {
  it("is the time the circuit left closed, kept while it cycles, cleared by a success", () => {
    let t = 10_000;
    const b = new CircuitBreaker("publishes", { failureThreshold: 2, coolDownMs: 1000, clock: { nowMs: () => t } });
    b.recordFailure();
    expect(b.trippedAtMs).toBeUndefined(); // one failure: still closed
    t += 10;
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.trippedAtMs).toBe(10_010);
    t += 1000;
    expect(b.state).toBe("half-open");
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.retryAtMs).toBe(12_010); // the cool-down restarts ...
    expect(b.trippedAtMs).toBe(10_010); // ... the outage does not
    b.recordSuccess();
    expect(b.state).toBe("closed");
    expect(b.trippedAtMs).toBeUndefined();
    expect(b.consecutiveFailures).toBe(0);
  });
});
