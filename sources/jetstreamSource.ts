// The JetStream side of a live run: one durable pull consumer per source subject, messages decoded at the
// boundary (bad ones become dead letters), then handed to the caller; acks are the caller's, after commit.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerInfo, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { KINDS, streamForSubject, subjectMismatch } from "../schemas/kinds.ts";
import type { CompiledSource } from "../pipeline/graph.ts";
import { MessageValidationError } from "../schemas/message.ts";

export interface DecodedMessage {
  readonly lane: number;
  readonly source: CompiledSource;
  readonly item: { readonly tsEvent: bigint };
  readonly msg: JsMsg;
}

export interface RejectedMessage {
  readonly lane: number;
  readonly source: CompiledSource;
  readonly error: MessageValidationError;
  readonly msg: JsMsg;
}

export interface Lane {
  readonly index: number;
  readonly source: CompiledSource;
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
}

/** Durable names allow letters, digits, '-' and '_'. */
export const durableName = (...parts: string[]): string => parts.join("_").replace(/[^A-Za-z0-9_-]/g, "-");

/** Pure: decodes one message of a source; returns the item or a validation error naming message and field. */
export function decodeSourceMessage(
  source: CompiledSource,
  subject: string,
  seq: number,
  data: Uint8Array,
): { item: { tsEvent: bigint } } | { error: MessageValidationError } {
  try {
    const item = KINDS[source.kind].decodeBytes(data, `${subject} #${seq}`) as { tsEvent: bigint };
    const mismatch = subjectMismatch(source.kind, subject, item);
    if (mismatch) return { error: new MessageValidationError(source.kind, `${subject} #${seq}`, mismatch.field, mismatch.reason) };
    return { item };
  } catch (e) {
    if (e instanceof MessageValidationError) return { error: e };
    return { error: new MessageValidationError(source.kind, `${subject} #${seq}`, "", (e as Error).message) };
  }
}

export class JetStreamSource {
  private readonly iterators: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopped = false;

  private constructor(
    private readonly nc: NatsConnection,
    readonly lanes: readonly Lane[],
  ) {}

  /**
   * Creates (or reuses) the durable consumers. `consumerPrefix` names them: the same prefix resumes
   * where the last run acked; a new prefix starts from the first stored message (`deliver: "all"`) or from
   * messages published after it was created (`deliver: "new"`). `startAt(lane)`: a checkpointed run restarts the
   * lane's consumer at that stream sequence, whatever the server's ack state says.
   */
  static async open(
    nc: NatsConnection,
    sources: readonly CompiledSource[],
    consumerPrefix: string,
    deliver: "all" | "new" = "all",
    startAt?: (lane: number, subject: string) => bigint | undefined,
  ): Promise<JetStreamSource> {
    const jsm = await jetstreamManager(nc);
    const lanes: Lane[] = [];
    for (const source of sources) {
      for (const subject of source.subjects) {
        const stream = streamForSubject(subject);
        const durable = durableName(consumerPrefix, source.name, String(lanes.length));
        const config = {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          filter_subject: subject,
          max_ack_pending: 50_000,
          ack_wait: 60_000_000_000,
        };
        let info: ConsumerInfo | undefined;
        try {
          info = await jsm.consumers.info(stream, durable);
        } catch (e) {
          if (!/not found/i.test((e as Error).message)) throw e;
        }
        const at = startAt?.(lanes.length, subject);
        if (info !== undefined && info.config.filter_subject !== subject) {
          throw new Error(
            `consumer ${durable} on ${stream} filters ${info.config.filter_subject ?? "(nothing)"}, but the pipeline reads ${subject}: use another --consumer prefix`,
          );
        } else if (at !== undefined) {
          // A checkpointed run knows exactly what it committed: restart there (it skips what it committed above).
          if (info !== undefined) await jsm.consumers.delete(stream, durable);
          await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(at) });
        } else if (info === undefined) {
          // "new" is pinned to a sequence (not DeliverPolicy.New) so that a restart before the first ack still knows
          // where the consumer began: a 2.9 server reports ack floor 0 until then.
          const first = deliver === "new" ? (await jsm.streams.info(stream)).state.last_seq + 1 : undefined;
          await jsm.consumers.add(
            stream,
            first === undefined
              ? { ...config, deliver_policy: DeliverPolicy.All }
              : { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first },
          );
        } else if (info.num_ack_pending > 0) {
          // A previous process stopped with messages delivered but not acked (and left no checkpoint). Left alone,
          // the server redelivers them only after ack_wait, behind newer messages, where they would be late:
          // restart the consumer just above its ack floor (or where it began, before any ack).
          const began = info.config.opt_start_seq ?? 1;
          const from = Math.max(info.ack_floor.stream_seq + 1, began);
          await jsm.consumers.delete(stream, durable);
          await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
        }
        lanes.push({ index: lanes.length, source, subject, stream, durable });
      }
    }
    return new JetStreamSource(nc, lanes);
  }

  /** Messages waiting for a lane's consumer (0: caught up). */
  async pending(lane: Lane): Promise<number> {
    return (await this.backlog(lane)).pending;
  }

  /** Not yet delivered (`pending`) and delivered but not yet acked (`ackPending`) messages of a lane's consumer. */
  async backlog(lane: Lane): Promise<{ pending: number; ackPending: number }> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.consumers.info(lane.stream, lane.durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  /**
   * Starts consuming every lane. `onMessage` gets decoded messages with the consumer's pending count
   * after it; `onReject` gets messages that failed decoding (the caller dead-letters and acks them).
   */
  async start(handlers: {
    onMessage(m: DecodedMessage, pending: number): void;
    onReject(m: RejectedMessage): void;
    onError(lane: Lane, e: unknown): void;
  }): Promise<void> {
    const js = jetstream(this.nc);
    for (const lane of this.lanes) {
      const consumer = await js.consumers.get(lane.stream, lane.durable);
      const it = await consumer.consume({ max_messages: 2000 });
      this.iterators.push(it);
      this.loops.push(
        (async () => {
          try {
            for await (const msg of it) {
              // Messages the client already held still arrive after stop(): hand them back for immediate redelivery.
              if (this.stopped) {
                msg.nak();
                continue;
              }
              const r = decodeSourceMessage(lane.source, msg.subject, msg.seq, msg.data);
              if ("error" in r) handlers.onReject({ lane: lane.index, source: lane.source, error: r.error, msg });
              else handlers.onMessage({ lane: lane.index, source: lane.source, item: r.item, msg }, msg.info.pending);
            }
          } catch (e) {
            if (!this.stopped) handlers.onError(lane, e);
          }
        })(),
      );
    }
  }

  /** Stops every consumer and waits (up to 5 s) until no message can reach the handlers any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const it of this.iterators) it.stop();
    await Promise.race([Promise.allSettled(this.loops), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
