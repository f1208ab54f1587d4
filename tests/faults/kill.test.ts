// kill -9 of `tickflow run` at random instants over a backlog, restarted each time, and kill -9 of nats-server under
// a run: the outcome equals the uninterrupted run's (digest, every recorded output row, every message on SIGNALS
// and ORDERS), nothing lost, nothing duplicated. CI-sized here; `npm run test:faults` runs the full sizes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FAULT_FEED,
  FAULT_RUN,
  compare,
  faultTable,
  FULL,
  kill9,
  mulberry32,
  openWorld,
  outcome,
  referenceRun,
  startRun,
  stopRun,
  waitForInputs,
  type FaultRow,
  type Outcome,
} from "./harness.ts";

const FEED = FAULT_FEED;
const KILLS = FULL ? 20 : 3;
const RUN = FAULT_RUN;
const rows: FaultRow[] = [];

describe(`fault suite: ${FEED.count} trades+news, real nats-server and DuckDB, \`tickflow run\` as a process`, () => {
  let reference: Outcome;

  beforeAll(async () => {
    reference = await referenceRun();
  }, 300_000);

  afterAll(() => {
    if (rows.length) process.stdout.write(`\n${faultTable(rows)}\n`);
  });

  it(`kill -9 of the run at ${KILLS} random instants over the backlog, restarted each time: the uninterrupted outcome`, async () => {
    const world = await openWorld(FEED);
    try {
      const random = mulberry32(20261202);
      const instants = Array.from({ length: KILLS }, () => Math.floor(random() * FEED.count * 0.95)).sort((a, b) => a - b);
      let restarts = 0;
      for (const at of instants) {
        const p = await startRun(world, RUN);
        await waitForInputs(p, at, 180_000, world);
        // A random extra delay, so that the kill also lands inside a batch's record or effect stage.
        await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
        await kill9(p);
        restarts++;
      }
      const last = await startRun(world, RUN);
      await waitForInputs(last, FEED.count, 180_000, world);
      const stopped = await stopRun(last);
      expect(stopped.code, last.stderr).toBe(0);
      const got = await outcome(world, RUN, stopped);
      const c = compare(reference, got);
      rows.push({
        fault: `\`kill -9\` of \`tickflow run\` at ${restarts} random instants (inputs ${instants.join(", ")})`,
        inFlight: "a batch between delivery and ack",
        c,
      });
      expect(c).toEqual({ digestEqual: true, rowsLost: 0, rowsExtra: 0, messagesLost: 0, messagesDuplicated: 0, messagesExtra: 0, inputsProcessedTwice: 0 });
      // A killed run's row is marked interrupted by the next start, never left `running`.
      expect(got.recording.events.filter((e) => e === "interrupted")).toHaveLength(KILLS);
      expect(got.recording.events.at(-1)).toBe("stopped");
    } finally {
      await world.close();
    }
    // 20 restarts over 200,000 messages: 295 s alone, 450 s beside other work on 2 cores (measured).
  }, 1_200_000);

  it("kill -9 of nats-server under the run, restarted on the same store: the uninterrupted outcome", async () => {
    const world = await openWorld(FEED);
    try {
      const p = await startRun(world, RUN);
      await waitForInputs(p, Math.floor(FEED.count / 3), 180_000, world);
      world.nats.server.process.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 2000));
      await world.nats.server.restart();
      await waitForInputs(p, FEED.count, 180_000, world);
      const stopped = await stopRun(p);
      expect(stopped.code, p.stderr).toBe(0);
      const got = await outcome(world, RUN, stopped);
      const c = compare(reference, got);
      rows.push({ fault: "`kill -9` of nats-server for 2 s under the run", inFlight: "unacked deliveries, publishes, acks", c });
      expect(c).toEqual({ digestEqual: true, rowsLost: 0, rowsExtra: 0, messagesLost: 0, messagesDuplicated: 0, messagesExtra: 0, inputsProcessedTwice: 0 });
    } finally {
      await world.close();
    }
  }, 600_000);
});
