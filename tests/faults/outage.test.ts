// NATS away under a live run, as weather: nats-server killed for an outage and brought back on its store, and
// nats-server frozen (SIGSTOP: connections open, nothing answers) as a stalled sink and source. The run neither
// fails nor exits; it resumes by itself, and its outcome equals the uninterrupted run's.
import { beforeAll, describe, expect, it } from "vitest";
import {
  FAULT_FEED,
  FAULT_RUN,
  compare,
  faultTable,
  FULL,
  openWorld,
  outcome,
  referenceRun,
  startRun,
  stopRun,
  waitForInputs,
  type Outcome,
} from "./harness.ts";

const FEED = FAULT_FEED;
const OUTAGE_S = FULL ? 60 : 8;
const STALL_S = FULL ? 30 : 6;
const RUN = FAULT_RUN;
const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000));

describe(`fault suite: NATS away under \`tickflow run\` (${FEED.count} trades+news)`, () => {
  let reference: Outcome;

  beforeAll(async () => {
    reference = await referenceRun();
  }, 300_000);

  it(`a ${OUTAGE_S} s outage (nats-server killed, restarted on its store): the run waits and resumes by itself`, async () => {
    const world = await openWorld(FEED);
    try {
      const p = await startRun(world, RUN);
      await waitForInputs(p, Math.floor(FEED.count / 3), 120_000, world);
      world.nats.server.process.kill("SIGKILL");
      await sleep(OUTAGE_S);
      expect(p.child.exitCode, `the run gave up during the outage:\n${p.stderr}`).toBeNull();
      await world.nats.server.restart();
      await waitForInputs(p, FEED.count, 120_000, world);
      const stopped = await stopRun(p);
      expect(stopped.code, p.stderr).toBe(0);
      const c = compare(reference, await outcome(world, RUN, stopped));
      process.stdout.write(`\n${faultTable([{ fault: `NATS down ${OUTAGE_S} s`, inFlight: "publishes waiting, acks, deliveries", c }])}\n`);
      expect(c).toEqual({ digestEqual: true, rowsLost: 0, rowsExtra: 0, messagesLost: 0, messagesDuplicated: 0, messagesExtra: 0, inputsProcessedTwice: 0 });
    } finally {
      await world.close();
    }
  }, 600_000);

  it(`nats-server frozen for ${STALL_S} s (SIGSTOP, a stalled sink and source): the run waits and resumes by itself`, async () => {
    const world = await openWorld(FEED);
    try {
      const p = await startRun(world, RUN);
      await waitForInputs(p, Math.floor(FEED.count / 2), 120_000, world);
      world.nats.server.process.kill("SIGSTOP");
      await sleep(STALL_S);
      world.nats.server.process.kill("SIGCONT");
      expect(p.child.exitCode, `the run gave up during the stall:\n${p.stderr}`).toBeNull();
      await waitForInputs(p, FEED.count, 120_000, world);
      const stopped = await stopRun(p);
      expect(stopped.code, p.stderr).toBe(0);
      const c = compare(reference, await outcome(world, RUN, stopped));
      process.stdout.write(`\n${faultTable([{ fault: `nats-server stalled ${STALL_S} s (SIGSTOP)`, inFlight: "publishes, acks, pulls", c }])}\n`);
      expect(c).toEqual({ digestEqual: true, rowsLost: 0, rowsExtra: 0, messagesLost: 0, messagesDuplicated: 0, messagesExtra: 0, inputsProcessedTwice: 0 });
    } finally {
      await world.close();
    }
  }, 600_000);
});
