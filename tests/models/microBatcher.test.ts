import { describe, expect, test } from "vitest";
import { MicroBatcher, type BatchCut } from "../../models/microBatcher.ts";
import { ManualScheduler } from "./manualScheduler.ts";

function setup(maxBatch: number, maxDelayMs: number, process?: (batch: readonly number[]) => Promise<readonly number[]>) {
  const scheduler = new ManualScheduler();
  const batches: { items: number[]; cut: BatchCut }[] = [];
  let lastCut: BatchCut = "flush";
  const batcher = new MicroBatcher<number, number>(
    async (batch) => {
      batches.push({ items: [...batch], cut: lastCut });
      return process ? process(batch) : batch.map((x) => x * 10);
    },
    { maxBatch, maxDelayMs, scheduler, onBatch: (_size, cut) => (lastCut = cut) },
  );
  return { scheduler, batcher, batches };
}

describe("MicroBatcher", () => {
  test("cuts a batch as soon as maxBatch requests wait, without waiting for the timer", async () => {
    const { batcher, batches, scheduler } = setup(3, 1000);
    const results = Promise.all([1, 2, 3, 4].map((x) => batcher.submit(x)));
    expect(scheduler.activeTimers).toBe(1); // request 4 started a new timer
    await Promise.resolve();
    expect(batches).toEqual([{ items: [1, 2, 3], cut: "count" }]);
    scheduler.advance(1000);
    expect(await results).toEqual([10, 20, 30, 40]);
    expect(batches[1]).toEqual({ items: [4], cut: "time" });
  });

  test("cuts by time: maxDelayMs after the first waiting request, not before", async () => {
    const { batcher, batches, scheduler } = setup(100, 5);
    const a = batcher.submit(1);
    scheduler.advance(3);
    const b = batcher.submit(2);
    scheduler.advance(1);
    await Promise.resolve();
    expect(batches).toHaveLength(0);
    scheduler.advance(1); // t = 5 since request 1
    expect(await Promise.all([a, b])).toEqual([10, 20]);
    expect(batches).toEqual([{ items: [1, 2], cut: "time" }]);
    expect(scheduler.activeTimers).toBe(0);
  });

  test("results resolve in request order even when a later batch finishes first", async () => {
    const delays = [30, 1];
    let call = 0;
    const { batcher } = setup(2, 1000, async (batch) => {
      await new Promise((r) => setTimeout(r, delays[call++] ?? 0));
      return batch.map((x) => -x);
    });
    const order: number[] = [];
    const all = [1, 2, 3, 4].map((x) => batcher.submit(x).then((v) => order.push(v)));
    await Promise.all(all);
    expect(order).toEqual([-1, -2, -3, -4]);
  });

  test("an error rejects exactly the requests of its batch; the next batch still runs", async () => {
    const { batcher } = setup(2, 1000, async (batch) => {
      if (batch.includes(3)) throw new Error("model failed on batch with 3");
      return batch.map((x) => x + 1);
    });
    const settled = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected", "fulfilled", "fulfilled"]);
    expect((settled[2] as PromiseRejectedResult).reason.message).toBe("model failed on batch with 3");
  });

  test("a wrong number of results is an error for that batch", async () => {
    const { batcher } = setup(2, 1000, async () => [1]);
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow(/returned 1 results for a batch of 2/);
  });

  test("flush cuts the partial batch now (replay batch boundary) and close refuses new requests", async () => {
    const { batcher, batches, scheduler } = setup(10, 1000);
    const p = [batcher.submit(7), batcher.submit(8)];
    await batcher.flush();
    expect(batches).toEqual([{ items: [7, 8], cut: "flush" }]);
    expect(scheduler.activeTimers).toBe(0);
    expect(await Promise.all(p)).toEqual([70, 80]);
    await batcher.close();
    await expect(batcher.submit(1)).rejects.toThrow(/closed/);
  });

  test("rejects contradictory options", () => {
    expect(() => new MicroBatcher(async (b) => b, { maxBatch: 0, maxDelayMs: 1 })).toThrow(/maxBatch must be an integer >= 1/);
    expect(() => new MicroBatcher(async (b) => b, { maxBatch: 1, maxDelayMs: -1 })).toThrow(/maxDelayMs must be >= 0/);
  });
});
