// The output ports a pipeline declaration can name: duckdb (recorded per run), nats (published), console; the
// dead-letter ports (recorded, published) and the live input recorder.
import { z } from "zod";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DeadLetterPort, InputBatch, InputRecorder, OutboxMessage, OutboxSender, OutputPort } from "../runtime/ports.ts";
import { defineSink, serviceToken } from "../runtime/connectors.ts";
import { inputIdOf, isSourceKind, KINDS, PUBLISHABLE_KINDS, publishSubject, SIGNED_KINDS, type Kind } from "../schemas/kinds.ts";
import { DeadLetterMessage, type DeadLetter } from "../schemas/deadLetter.ts";
import type { Signal } from "../schemas/signal.ts";
import { barId } from "../schemas/bar.ts";
import { nsToIso } from "../schemas/time.ts";
import type { DuckDbRecorder } from "./duckDbRecorder.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import type { JetStreamPublisher, OutgoingMessage } from "./jetStreamPublisher.ts";
import type { Keyring } from "../core/signing.ts";
import { isSignedSubject, loadKeyring, MessageSigner, orderStateId, unsignedError, withoutSignature } from "./orderSigning.ts";

/**
 * Records a run's outputs. With `bufferRows` > 0 (replay), rows are kept until that many are buffered or the
 * run ends, so a replay writes few large batches; live runs commit each batch before its inputs are acked.
 */
export class DuckDbOutputSink implements OutputPort {
  readonly name = "duckdb";
  readonly stage = "record";
  private readonly buffered = new Map<string, { kind: Kind; items: unknown[]; firstSeq: bigint }>();
  private count = 0;

  constructor(
    private readonly sink: DuckDbRecorder,
    private readonly runId: string,
    private readonly bufferRows = 0,
  ) {}

  async write(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): Promise<void> {
    if (this.bufferRows <= 0) {
      await this.sink.writeOutputs(KINDS[kind] as AnyMessageType, this.runId, items as never[], firstSeq, node);
      return;
    }
    const b = this.buffered.get(node) ?? this.buffered.set(node, { kind, items: [], firstSeq }).get(node)!;
    for (const x of items) b.items.push(x);
    this.count += items.length;
    if (this.count >= this.bufferRows) await this.flush();
  }

  async flush(): Promise<void> {
    for (const [node, b] of this.buffered) {
      await this.sink.writeOutputs(KINDS[b.kind] as AnyMessageType, this.runId, b.items as never[], b.firstSeq, node);
      this.buffered.delete(node);
    }
    this.count = 0;
  }
}

/** Message id of a published item: its own id, or the bar's natural key. */
export function messageIdOf(kind: Kind, item: unknown): string {
  if (kind === "bar") return barId(item as never);
  if (kind === "order") return orderStateId(item as never);
  const id = (item as { id?: unknown }).id;
  if (typeof id !== "string") throw new Error(`cannot publish a ${kind} item without an id`);
  return id;
}

/**
 * Publishes outbox messages through JetStream (message id = Nats-Msg-Id), waiting out outages. Messages of the
 * signed streams are signed at each publish attempt (not when recorded), so the timestamp is when they go out.
 */
export class JetStreamOutbox implements OutboxSender {
  constructor(
    readonly outbox: string,
    private readonly publisher: JetStreamPublisher,
    private readonly signer?: MessageSigner,
  ) {}
  async send(messages: readonly OutboxMessage[]): Promise<void> {
    await this.publisher.publishAll(messages.map((m) => this.outgoing(m)));
  }
  private outgoing(m: OutboxMessage): OutgoingMessage {
    if (!isSignedSubject(m.subject)) return { subject: m.subject, data: m.data, msgID: m.id, headers: m.headers };
    const signer = this.signer;
    if (!signer) throw unsignedError(`message ${m.id} on ${m.subject}`);
    // An outbox row of an older version may carry a v1 signature: replaced, never sent beside the v2 one.
    return { subject: m.subject, data: m.data, msgID: m.id, headers: withoutSignature(m.headers), stamp: (o) => signer.headers(o.subject, o.msgID, o.data) };
  }
}

export class NatsOutputSink implements OutputPort {
  readonly name = "nats";
  readonly stage = "effect";
  readonly sender: JetStreamOutbox;
  /** @param signer signs orders, fills, order events and signals when they are sent; without one they are refused */
  constructor(
    publisher: JetStreamPublisher,
    private readonly runId: string,
    private readonly signer?: MessageSigner,
  ) {
    this.sender = new JetStreamOutbox("nats", publisher, signer);
  }
  encode(_node: string, kind: Kind, items: readonly unknown[]): OutboxMessage[] {
    if (SIGNED_KINDS.has(kind) && !this.signer) throw unsignedError(`${kind} messages`);
    const type = KINDS[kind];
    // No signature here: what is recorded in the outbox is signed when it is sent (JetStreamOutbox).
    return items.map((item) => ({
      subject: publishSubject(kind, item as never),
      data: type.encodeBytes(item as never),
      id: messageIdOf(kind, item),
      headers: { "Tickflow-Run": this.runId },
    }));
  }
  async write(node: string, kind: Kind, items: readonly unknown[]): Promise<void> {
    await this.sender.send(this.encode(node, kind, items));
  }
}

export function formatSignal(s: Signal): string {
  const arrow = s.action === "buy" ? "BUY " : s.action === "sell" ? "SELL" : "FLAT";
  return `${nsToIso(s.tsEvent).slice(0, 19)}Z  ${arrow} ${s.symbol.padEnd(6)} strength ${s.strength.toFixed(2)}  ${s.reason}`;
}

export class ConsoleOutputSink implements OutputPort {
  readonly name = "console";
  readonly stage = "observe";
  constructor(
    private readonly print: (line: string) => void,
    private readonly format: "text" | "json" = "text",
  ) {}
  async write(node: string, kind: Kind, items: readonly unknown[]): Promise<void> {
    for (const item of items) {
      const wire = () => JSON.stringify(KINDS[kind].encode(item as never));
      this.print(this.format === "json" ? wire() : kind === "signal" ? formatSignal(item as Signal) : `${node}: ${wire()}`);
    }
  }
}

/** Records dead letters in the `dead_letters` table under the run, numbered in the order they were written. */
export class DeadLetterRecorder implements DeadLetterPort {
  readonly stage = "record";
  constructor(
    private readonly runId: string,
    private readonly record: DuckDbRecorder,
  ) {}
  async write(letters: readonly DeadLetter[], firstSeq: bigint): Promise<void> {
    await this.record.writeOutputs(DeadLetterMessage, this.runId, letters, firstSeq);
  }
}

/** Publishes dead letters to dlq.<stage>, the reason in the Tickflow-Reason header. */
export class DeadLetterPublisher implements DeadLetterPort {
  readonly stage = "effect";
  readonly sender: JetStreamOutbox;
  constructor(
    private readonly runId: string,
    publisher: JetStreamPublisher,
  ) {
    this.sender = new JetStreamOutbox("dlq", publisher);
  }
  encode(letters: readonly DeadLetter[]): OutboxMessage[] {
    return letters.map((l) => ({
      subject: `dlq.${l.stage.replace(/[^A-Za-z0-9_-]/g, "_")}`,
      data: DeadLetterMessage.encodeBytes(l),
      id: `dlq:${l.stage}:${l.ref}`,
      headers: { "Tickflow-Reason": l.reason.replace(/[\r\n]+/g, " ").slice(0, 1024), "Tickflow-Run": this.runId },
    }));
  }
  async write(letters: readonly DeadLetter[]): Promise<void> {
    await this.sender.send(this.encode(letters));
  }
}

/**
 * Records a live batch's inputs (once per message id, whoever records them) with their subject and stream sequence,
 * and which of them this run processed (run_inputs).
 */
export class DuckDbInputRecorder implements InputRecorder {
  constructor(
    private readonly sink: DuckDbRecorder,
    private readonly runId?: string,
  ) {}
  async record(batch: InputBatch, kindOf: (source: number) => Kind): Promise<void> {
    const byKind = new Map<Kind, number[]>();
    for (let i = 0; i < batch.items.length; i++) {
      const k = kindOf(batch.sources[i]!);
      (byKind.get(k) ?? byKind.set(k, []).get(k)!).push(i);
    }
    const origins = batch.origins!;
    const writes: Promise<unknown>[] = [];
    for (const [kind, idx] of byKind) {
      const items = idx.map((i) => batch.items[i]!);
      writes.push(
        this.sink.writeInputs(
          KINDS[kind] as AnyMessageType,
          items as never[],
          idx.map((i) => origins[i]!),
        ),
      );
      if (this.runId !== undefined && isSourceKind(kind))
        writes.push(
          this.sink.writeRunInputs(
            this.runId,
            KINDS[kind].table,
            items.map((x) => inputIdOf(kind, x)),
            items.map((x) => (x as { tsEvent: bigint }).tsEvent),
          ),
        );
    }
    await Promise.all(writes);
  }
}

/** Rows a replay buffers before writing its outputs: few large writes instead of one per batch. */
export const REPLAY_BUFFER_ROWS = 100_000;

/** The DuckDB recorder a run writes through (inputs, outputs, dead letters). */
export const RECORDER = serviceToken<DuckDbRecorder>("the DuckDB recorder");
/** The JetStream publisher of a live run. */
export const PUBLISHER = serviceToken<JetStreamPublisher>("a JetStream publisher");
/** The keys a run's nats sinks sign with; without it they load the environment's (sinks/signingKeys.ts loadKeyring). */
export const SIGNING_KEYS = serviceToken<Keyring>("the signing keyring");
/** Where console sinks print. */
export const PRINT = serviceToken<(line: string) => void>("a console to print to");
/** The live run's NATS connection. */
export const NATS = serviceToken<NatsConnection>("a NATS connection");

export const duckdbSink = defineSink({
  type: "duckdb",
  summary: "Records the node's items in DuckDB under the run (table per kind, keyed by run_id, node, id); replays record too.",
  params: z.strictObject({}),
  example: "{ type: duckdb, in: signals }",
  modes: ["live", "replay"],
  stage: "record",
  // A replay buffers: few large writes. A live run commits each batch before its inputs are acked.
  create: (_p, ctx) => new DuckDbOutputSink(ctx.services.get(RECORDER, "a duckdb sink"), ctx.runId, ctx.mode === "live" ? 0 : REPLAY_BUFFER_ROWS),
});

export const natsSink = defineSink({
  type: "nats",
  summary:
    "Publishes the node's items to JetStream (signals.<SYM>, orders.<SYM>, fills.<SYM> ...) with Nats-Msg-Id = item id; orders, fills and signals signed (docs/signing.md). Live runs only.",
  params: z.strictObject({}),
  example: "{ type: nats, in: signals }",
  accepts: PUBLISHABLE_KINDS,
  modes: ["live"],
  stage: "effect",
  create: (_p, ctx) => {
    // Every nats sink of a run shares one outbox sender (by name): each signs whenever a key is configured.
    const keyring = ctx.services.has(SIGNING_KEYS) ? ctx.services.get(SIGNING_KEYS, "a nats sink") : loadKeyring();
    if (!keyring && SIGNED_KINDS.has(ctx.kind)) throw unsignedError(`${ctx.kind} messages (node ${ctx.node})`);
    return new NatsOutputSink(ctx.services.get(PUBLISHER, "a nats sink"), ctx.runId, keyring && new MessageSigner(keyring));
  },
});

export const consoleSink = defineSink({
  type: "console",
  summary: "Prints the node's items: signals as one readable line, other kinds as their wire JSON. Live runs (replay prints with --print).",
  params: z.strictObject({
    format: z.enum(["text", "json"]).default("text").describe("text: signals as a readable line, others as `node: {json}`; json: the wire JSON of every item."),
  }),
  example: "{ type: console, in: signals, params: { format: text } }",
  modes: ["live"],
  stage: "observe",
  create: (p, ctx) => new ConsoleOutputSink(ctx.services.get(PRINT, "a console sink"), p.format),
});
