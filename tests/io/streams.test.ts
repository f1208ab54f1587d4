import { describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { ensureStreams } from "../../io/nats/streams.ts";
import { streamForSubject } from "../../schemas/kinds.ts";
import { withNats } from "../helpers/nats.ts";

describe("streams", () => {
  it("creates the streams idempotently and dedupes publishes by Nats-Msg-Id", async () => {
    await withNats(async ({ nc }) => {
      const jsm = await ensureStreams(nc); // second time: update, not fail
      const names: string[] = [];
      for await (const s of jsm.streams.list()) names.push(s.config.name);
      expect(names.sort()).toEqual(["DLQ", "MARKET", "NEWS", "ORDERS", "SIGNALS"]);
      const js = jetstream(nc);
      const a = await js.publish("md.trades.AAPL", "{}", { msgID: "t-1" });
      const b = await js.publish("md.trades.AAPL", "{}", { msgID: "t-1" });
      expect(b.duplicate).toBe(true);
      expect(b.seq).toBe(a.seq);
      expect((await jsm.streams.info("MARKET")).state.messages).toBe(1);
    });
  });

  it("maps subjects to streams and rejects unknown prefixes", () => {
    expect(streamForSubject("md.bars.1m.AAPL")).toBe("MARKET");
    expect(() => streamForSubject("foo.bar")).toThrow(/no tickflow stream stores subject "foo.bar"/);
  });
});
