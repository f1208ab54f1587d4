// A source with feed keys (`signedBy`) takes only market data signed with one of them: unsigned, forged, foreign-key,
// re-published-elsewhere and stale-stamped trades are dead letters with the reason (stage signature), the signed
// ones are processed (real nats-server).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { Database } from "../../io/duckdb/database.ts";
import { AuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { signedHeaders, type Keyring } from "../../core/signing.ts";
import { openInput, Services } from "../../runtime/connectors.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import { NATS } from "../../sinks/outputSinks.ts";
import { JETSTREAM_CONSUMERS } from "../../sources/jetstreamInput.ts";
import { withNats } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { BatchReader, idOf } from "../connectors/harness.ts";

const T0 = 1_704_205_800_000_000_000n;
const FEED: Keyring = { currentId: "feed1", keys: new Map([["feed1", Buffer.from("0f".repeat(32), "hex")]]) };
const OTHER: Keyring = { currentId: "feed1", keys: new Map([["feed1", Buffer.from("a1".repeat(32), "hex")]]) };
const STRANGER: Keyring = { currentId: "x9", keys: new Map([["x9", Buffer.from("0f".repeat(32), "hex")]]) };

const trade = (i: number): Trade => TradeMessage.create({ id: `s-${i}`, symbol: "AAPL", tsEvent: T0 + BigInt(i) * 1_000_000_000n, price: 100, size: 1 });

function message(t: Trade, sign?: { keyring: Keyring; subject?: string; atMs?: number }): OutgoingMessage {
  const subject = "md.trades.AAPL";
  const data = TradeMessage.encodeBytes(t);
  const headers = sign ? signedHeaders(sign.keyring, sign.subject ?? subject, t.id, data, sign.atMs ?? Date.now()) : undefined;
  return { subject, data, msgID: t.id, headers };
}

/** A keys file holding FEED's key (mode 0600 unless told) and a pipeline whose trades source requires it. */
function signedFeed(dir: string, o: { name: string; sinks?: string; mode?: number }): ReturnType<typeof parsePipeline> {
  const keys = join(dir, "feed.keys");
  writeFileSync(keys, `feed1=${"0f".repeat(32)}\n`, { mode: o.mode ?? 0o600 });
  return parsePipeline(
    `name: ${o.name}
sources:
  trades: { type: trade, subjects: ["md.trades.>"], params: { signedBy: ${JSON.stringify(keys)} } }
sequencing: { maxDelay: 1s, idleAfter: 200ms }
nodes: {}
${o.sinks ?? ""}`,
    `${o.name}.yaml`,
  );
}

describe("a source with feed keys (signedBy, real nats-server)", () => {
  it("processes only trades signed with a feed key; every other one is a dead letter naming why", async () => {
    await withNats(async ({ nc }) => {
      const { dir, cleanup } = tempDir();
      try {
        const pipeline = signedFeed(dir, { name: "signed-feed" });
        await new JetStreamPublisher(nc).publishAll([
          message(trade(0), { keyring: FEED }),
          message(trade(1)), // unsigned
          message(trade(2), { keyring: OTHER }), // same key id, another key: forged
          message(trade(3), { keyring: STRANGER }), // a key id the source does not know
          message(trade(4), { keyring: FEED, subject: "md.trades.MSFT" }), // signed for another subject
          message(trade(5), { keyring: FEED, atMs: Date.now() - 3_600_000 }), // stamped an hour before it was stored
          message(trade(6), { keyring: FEED }),
        ]);
        const services = new Services().provide(NATS, nc).provide(JETSTREAM_CONSUMERS, { consumerPrefix: "signed" });
        const reader = await new BatchReader(openInput(pipeline, CONNECTORS, "signed-1", services), "signed input").open();
        try {
          await reader.readUntil(2, { timeoutMs: 20_000 });
          const deadline = Date.now() + 10_000;
          while (reader.batches.flatMap((b) => b.deadLetters ?? []).length < 5 && Date.now() < deadline) await reader.next(10_000).catch(() => undefined);
          expect(reader.batches.flatMap((b) => b.items.map(idOf))).toEqual(["s-0", "s-6"]);
          const letters = reader.batches.flatMap((b) => b.deadLetters ?? []);
          expect(letters.map((l) => [l.stage, l.ref.replace(/ #\d+$/, ""), /refused \(([a-z-]+)\)/.exec(l.reason)?.[1]])).toEqual([
            ["signature", "md.trades.AAPL", "unsigned"],
            ["signature", "md.trades.AAPL", "bad-signature"],
            ["signature", "md.trades.AAPL", "unknown-key"],
            ["signature", "md.trades.AAPL", "bad-signature"],
            ["signature", "md.trades.AAPL", "expired"],
          ]);
          expect(letters.every((l) => l.field === "Tickflow-Signature")).toBe(true);
        } finally {
          await reader.finish();
        }
      } finally {
        cleanup();
      }
    });
  });

  it("a live run records, publishes and audits each refused message", async () => {
    await withNats(async ({ nc }) => {
      const { dir, cleanup } = tempDir();
      const db = await Database.open(join(dir, "rec.duckdb"));
      try {
        const pipeline = signedFeed(dir, { name: "signed-live", sinks: "sinks:\n  - { type: duckdb, in: trades }\n" });
        const audit = await AuditLog.open(db, { actor: "run:signed-live" });
        const run = new LiveRun({ pipeline, nc, db, runId: "signed-live", print: () => {}, audit });
        await run.start();
        await new JetStreamPublisher(nc).publishAll([
          message(trade(10), { keyring: FEED }),
          message(trade(11), { keyring: OTHER }),
          message(trade(12), { keyring: FEED }),
        ]);
        await run.waitFor(() => run.run.counters.inputs >= 2 && run.run.counters.deadLetters >= 1, 20_000);
        await run.stop();
        const refused = await db.query<{ subject: string; details: string }>(`SELECT subject, details FROM audit_log WHERE action = 'message.refused'`);
        expect(refused.map((r) => [r.subject.replace(/ #\d+$/, ""), JSON.parse(r.details).reason])).toEqual([
          [
            "md.trades.AAPL",
            expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: field "Tickflow-Signature" feed signature refused \(bad-signature\)/),
          ],
        ]);
        expect(await db.query(`SELECT stage FROM dead_letters WHERE run_id = 'signed-live'`)).toEqual([{ stage: "signature" }]);
        expect((await verifyAuditChain(db)).ok).toBe(true);
      } finally {
        await db.close();
        cleanup();
      }
    });
  });

  it("refuses a keys file others can read when the run opens, naming the param", () => {
    const { dir, cleanup } = tempDir();
    try {
      const pipeline = signedFeed(dir, { name: "signed-feed", mode: 0o644 });
      expect(() => openInput(pipeline, CONNECTORS, "r", new Services())).toThrow(/sources\.trades\.params\.signedBy.*(readable by others|chmod 600)/s);
    } finally {
      cleanup();
    }
  });
});
