// LanePosition: what a JetStream lane has committed, and how a delivery relates to it.
import { describe, expect, it } from "vitest";
import { LanePosition } from "../../sources/lanePosition.ts";

describe("LanePosition", () => {
  it("calls a first delivery new, a redelivery of a held one again, a committed one committed; the floor follows commits in order", () => {
    const p = new LanePosition();
    expect([1n, 2n, 3n].map((s) => p.deliver(s))).toEqual(["new", "new", "new"]);
    expect(p.deliver(2n)).toBe("again");
    p.commit(2n); // acked out of order: the floor waits for 1
    expect(p.state()).toEqual({ floor: 0n, above: [2n] });
    expect(p.deliver(2n)).toBe("committed");
    p.commit(1n);
    expect(p.state()).toEqual({ floor: 2n, above: [] });
    expect(p.resumeAt).toBe(3n);
    expect(p.deliver(3n)).toBe("again");
  });

  it("calls a sequence below the newest delivery that was never delivered new (a recreated consumer filling a gap), and holds the floor below it", () => {
    const p = new LanePosition();
    expect([100n, 102n].map((s) => p.deliver(s))).toEqual(["new", "new"]);
    expect(p.deliver(101n)).toBe("new");
    p.commit(100n);
    p.commit(102n);
    expect(p.state()).toEqual({ floor: 100n, above: [102n] });
    p.commit(101n);
    expect(p.state()).toEqual({ floor: 102n, above: [] });
  });

  it("restored from a checkpoint: skips what was committed above the floor and delivers the rest as new", () => {
    const p = new LanePosition({ floor: 10n, above: [12n, 14n] });
    expect(p.resumeAt).toBe(11n);
    expect([11n, 12n, 13n, 14n, 15n].map((s) => p.deliver(s))).toEqual(["new", "committed", "new", "committed", "new"]);
    p.commit(11n);
    p.commit(13n);
    expect(p.state()).toEqual({ floor: 14n, above: [] });
  });

  it("a batch of 50,000 deliveries committed out of order moves the floor over all of them, past the array compaction", () => {
    const p = new LanePosition();
    const n = 50_000;
    for (let i = 1; i <= n; i++) expect(p.deliver(BigInt(i))).toBe("new");
    // Commit the odd ones first (the floor cannot move past 1's gap at 2), then the even ones in reverse.
    for (let i = 1; i <= n; i += 2) p.commit(BigInt(i));
    expect(p.state().floor).toBe(1n);
    for (let i = n; i >= 2; i -= 2) p.commit(BigInt(i));
    expect(p.state()).toEqual({ floor: BigInt(n), above: [] });
    expect(p.deliver(BigInt(n))).toBe("committed");
    expect(p.deliver(BigInt(n + 1))).toBe("new");
    p.commit(BigInt(n + 1));
    expect(p.resumeAt).toBe(BigInt(n + 2));
  });
});
