// retry without a bound (a live run's publishes wait out an outage) and its way out: an AbortSignal that ends the
// wait at once, even in the middle of a backoff.
import { describe, expect, it } from "vitest";
import { retry, RetriesExhaustedError } from "../../core/retry.ts";
import { mulberry32 } from "../../models/prng.ts";

describe("retry with attempts: Infinity", () => {
  it("keeps trying until the call succeeds, every backoff below the cap", async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls <= 200) throw new Error("NATS is away");
        return "stored";
      },
      { attempts: Infinity, baseMs: 100, maxMs: 3000, random: mulberry32(3), sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe("stored");
    expect(calls).toBe(201);
    expect(slept).toHaveLength(200);
    expect(Math.max(...slept)).toBeLessThan(3000);
    expect(slept.slice(20).some((d) => d > 1000)).toBe(true); // the cap, not the base, bounds late backoffs
  });

  it("stops when the signal aborts, also during a backoff, with the reason and what was retried", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error("the connection was closed")), 100);
    const err = (await retry(
      async () => {
        throw new Error("timeout");
      },
      { attempts: Infinity, baseMs: 60_000, maxMs: 60_000, random: () => 0.99, signal: ac.signal, what: "publish to signals.X (msg id s-1)" },
    ).catch((e: unknown) => e)) as RetriesExhaustedError;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err.attempts).toBe(1);
    expect(err.message).toBe("publish to signals.X (msg id s-1): gave up after 1 attempt: the connection was closed");
    expect((err.cause as Error).message).toBe("the connection was closed");
  });

  it("makes no attempt once aborted, and refuses a count below one", async () => {
    let calls = 0;
    const err = await retry(async () => ++calls, { signal: AbortSignal.abort(new Error("stopped")) }).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect((err as Error).message).toBe("gave up after 0 attempts: stopped");
    await expect(retry(async () => 1, { attempts: 0 })).rejects.toThrow(/attempts must be >= 1 \(or Infinity\), got 0/);
  });
});
