// selectBrokerEvents: broker events → the messages of one type, the same objects, in order.
import { describe, expect, it } from "vitest";
import type { BrokerEvent } from "../../../schemas/brokerEvent.ts";
import { selectBrokerEvents } from "../../../operators/selectBrokerEvents.ts";
import { PaperBroker } from "../../../trading/PaperBroker.ts";
import { bar } from "../../trading/helpers.ts";
import { chunk, runChunks } from "../windows/helpers.ts";

describe("selectBrokerEvents", () => {
  const broker = new PaperBroker({ startingCash: 1000, policy: { name: "t", onBars: "next_open" } });
  const events: BrokerEvent[] = [
    ...broker.onBar(bar(0, 10, 10, 10, 10)),
    ...broker.setTarget("AAA", 5, 60_000_000_000n),
    ...broker.onBar(bar(1, 11, 11, 11, 11)),
  ];

  it("keeps one type and unwraps it, in order; the watermark passes through", () => {
    const { out } = runChunks(selectBrokerEvents("fill"), [chunk(events, 7n)]);
    const fills = events.flatMap((e) => (e.type === "fill" ? [e.fill] : []));
    expect(fills).toHaveLength(1);
    expect(out).toEqual([chunk(fills, 7n)]);
    expect(out[0]!.items[0]).toBe(fills[0]); // not a copy
  });

  it("each type gives its own messages", () => {
    const count = (t: BrokerEvent["type"]) => runChunks(selectBrokerEvents(t), [chunk(events, 7n)]).out[0]!.items.length;
    expect([count("order"), count("fill"), count("position"), count("equity"), count("orderEvent")]).toEqual([2, 1, 2, 2, 0]);
  });
});
