// retry: exponential backoff with full jitter, seeded and with an injected sleep so the tests take no time.
import { describe, expect, it } from "vitest";
import { backoffDelay, retry, RetriesExhaustedError } from "../../core/retry.ts";
import { mulberry32 } from "../../models/prng.ts";

/** Records the delays instead of waiting. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    sleep: async (ms) => {
      slept.push(ms);
    },
  };
}

const failing = (times: number, make = (i: number) => new Error(`boom ${i}`)) => {
  let calls = 0;
  const fn = async (attempt: number): Promise<string> => {
    calls++;
    expect(attempt).toBe(calls);
    if (calls <= times) throw make(calls);
    return `ok after ${calls}`;
  };
  return { fn, calls: () => calls };
};

describe("backoffDelay", () => {
  it("is uniform below min(max, base·2^(attempt-1))", () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, { baseMs: 50, maxMs: 2000 }, top))).toEqual([49, 99, 199, 399, 799, 1599, 1999]);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(100); // defaults: base 50, max 2000
    expect(backoffDelay(40, { baseMs: 10, maxMs: 300 }, () => 0.5)).toBe(150);
  });
});

describe("retry", () => {
  it("returns the first success, sleeping the seeded backoff between attempts", async () => {
    const { sleep, slept } = fakeSleep();
    const f = failing(3);
    const retries: [string, number, number][] = [];
    const result = await retry(f.fn, {
      attempts: 5,
      baseMs: 100,
      maxMs: 1000,
      random: mulberry32(42),
      sleep,
      onRetry: (e, a, d) => retries.push([(e as Error).message, a, d]),
    });
    expect(result).toBe("ok after 4");
    const expected = (() => {
      const r = mulberry32(42);
      return [1, 2, 3].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 1000 }, r));
    })();
    expect(slept).toEqual(expected);
    expect(retries).toEqual([
      ["boom 1", 1, expected[0]],
      ["boom 2", 2, expected[1]],
      ["boom 3", 3, expected[2]],
    ]);
    expect(slept[0]).toBeLessThan(100);
    expect(slept[2]).toBeLessThan(400);
  });

  it("gives the same delays for the same seed", async () => {
    const delays = async () => {
      const { sleep, slept } = fakeSleep();
      await retry(failing(4).fn, { random: mulberry32(7), sleep });
      return slept;
    };
    expect(await delays()).toEqual(await delays());
  });

  it("gives up after N attempts with RetriesExhaustedError keeping the last error as cause", async () => {
    const { sleep, slept } = fakeSleep();
    const f = failing(10);
    const err = await retry(f.fn, { attempts: 3, random: () => 0.5, sleep }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as RetriesExhaustedError).attempts).toBe(3);
    expect((err as Error).message).toBe("gave up after 3 attempts: boom 3");
    expect(((err as Error).cause as Error).message).toBe("boom 3");
    expect(f.calls()).toBe(3);
    expect(slept).toHaveLength(2); // no sleep after the last attempt
  });

  it("stops at once when the error is not retryable, and says after how many attempts", async () => {
    const { sleep, slept } = fakeSleep();
    const fatal = Object.assign(new Error("permission denied"), { code: "EPERM" });
    const f = failing(10, (i) => (i === 2 ? fatal : new Error(`boom ${i}`)));
    const err = (await retry(f.fn, { attempts: 5, sleep, retryable: (e) => (e as { code?: string }).code !== "EPERM" }).catch(
      (e: unknown) => e,
    )) as RetriesExhaustedError;
    expect(f.calls()).toBe(2);
    expect(slept).toHaveLength(1);
    expect(err.cause).toBe(fatal);
    expect(err.attempts).toBe(2);
    expect(err.message).toBe("gave up after 2 attempts: permission denied");
  });

  it("keeps a non-Error cause", async () => {
    const err = (await retry(
      async () => {
        throw "plain string";
      },
      { attempts: 1 },
    ).catch((e: unknown) => e)) as RetriesExhaustedError;
    expect(err.cause).toBe("plain string");
    expect(err.message).toMatch(/^gave up after 1 attempt.*: plain string$/);
  });
});
