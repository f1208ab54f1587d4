// Poison inputs in the middle of the backlog of a live run: each becomes one dead letter that fits the server, the
// run neither exits nor stalls, and everything else it computes equals the run of the clean feed.
import { beforeAll, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import {
  FAULT_FEED,
  FAULT_RUN,
  compare,
  faultTable,
  openWorld,
  outcome,
  referenceRun,
  startRun,
  stopRun,
  streamMessages,
  waitForInputs,
  type Outcome,
} from "./harness.ts";

const FEED = FAULT_FEED;
const RUN = FAULT_RUN;
const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const YEAR_2200_NS = 7_258_118_400_000_000_000n;

/** The poison, built from real messages of the feed around its middle; what each must be dead-lettered for. */
function poison(feed: readonly OutgoingMessage[]): { messages: OutgoingMessage[]; reasons: RegExp[] } {
  const mid = Math.floor(feed.length / 2);
  const tradeMsg = feed.slice(mid).find((m) => m.subject.startsWith("md.trades."))!;
  const trade = JSON.parse(new TextDecoder().decode(tradeMsg.data)) as Record<string, unknown>;
  const earlier = feed.slice(0, mid).findLast((m) => m.subject.startsWith("md.trades."))!;
  const p = (suffix: string, data: Uint8Array, subject = tradeMsg.subject): OutgoingMessage => ({ subject, data, msgID: `poison-${suffix}` });
  const messages = [
    p("int64", enc({ ...trade, id: "p-int64", tsEvent: "9999999999999999999" })),
    p(
      "huge",
      enc({ v: 1, type: "news", id: "p-huge", source: "wire", tsEvent: trade.tsEvent, headline: "h", body: "é".repeat(500_000), symbols: ["aapl"] }),
      "news.wire",
    ),
    p("subject", enc({ ...trade, id: "p-subject", symbol: "ZZZZ" })),
    p("garbage", new TextEncoder().encode("not json {")),
    p("noprice", enc({ ...trade, id: "p-noprice", price: undefined })),
    p("future", enc({ ...trade, id: "p-future", tsEvent: String(YEAR_2200_NS) })),
    // Another message carrying the id of one already processed: the first counts, as in the recording.
    p("dupid", enc({ ...(JSON.parse(new TextDecoder().decode(earlier.data)) as object), price: 1 }), earlier.subject),
  ];
  const reasons = [/int64/, /field "body"/, /but the subject/, /JSON|json/, /"price"/, /ahead/, /already processed/];
  return { messages: [...feed.slice(0, mid), ...messages, ...feed.slice(mid)], reasons };
}

describe(`fault suite: poison inputs in a backlog of ${FEED.count} trades+news`, () => {
  let reference: Outcome;

  beforeAll(async () => {
    reference = await referenceRun();
  }, 300_000);

  it("each poison input is one dead letter that fits the server; everything else equals the clean run", async () => {
    let reasons: RegExp[] = [];
    const world = await openWorld(FEED, (feed) => {
      const poisoned = poison(feed);
      reasons = poisoned.reasons;
      return poisoned.messages;
    });
    try {
      const p = await startRun(world, RUN);
      await waitForInputs(p, FEED.count, 180_000, world);
      const stopped = await stopRun(p);
      expect(stopped.code, p.stderr).toBe(0);
      const got = await outcome(world, RUN, stopped);
      const c = compare(reference, got);
      process.stdout.write(`\n${faultTable([{ fault: `${reasons.length} poison inputs mid-backlog`, inFlight: "the backlog", c }])}\n`);
      expect(c).toEqual({ digestEqual: true, rowsLost: 0, rowsExtra: 0, messagesLost: 0, messagesDuplicated: 0, messagesExtra: 0, inputsProcessedTwice: 0 });
      expect(got.recording.deadLetters).toBe(reasons.length);
      const dlq = await streamMessages(world, "DLQ");
      expect(dlq).toHaveLength(reasons.length);
      const said = dlq.map((m) => String((JSON.parse(m.data) as { reason: string }).reason));
      for (const r of reasons)
        expect(
          said.some((m) => r.test(m)),
          `a dead letter matching ${r} among:\n${said.join("\n")}`,
        ).toBe(true);
      for (const m of dlq) expect(new TextEncoder().encode(m.data).length).toBeLessThanOrEqual(128 * 1024);
    } finally {
      await world.close();
    }
  }, 600_000);
});
