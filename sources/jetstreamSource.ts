// The JetStream side of a live run: one durable pull consumer per source subject, messages decoded at the
// boundary (bad ones become dead letters), then handed to the caller; acks are the caller's, after commit.
import { within } from "../core/retry.ts";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerInfo, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { KINDS, streamForSubject, subjectMismatch } from "../schemas/kinds.ts";
import type { CompiledSource } from "../pipeline/graph.ts";
import { MessageValidationError } from "../schemas/message.ts";
import { SIGNATURE_HEADER, type SignatureVerifier, verifyFeedMessage } from "../core/signing.ts";

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
  /** The dead letter's stage: "decode" (default), or "signature" for a feed signature that does not verify. */
  readonly stage?: "decode" | "signature";
}

export interface Lane {
  readonly index: number;
  readonly source: CompiledSource;
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  /** The first stream sequence this run reads on the lane (everything below it is not this run's). */
  readonly startSeq: bigint;
  /** The filter has a wildcard (`*`, `>`): its stream order need not be event-time order (see JetStreamInput). */
  readonly wildcard: boolean;
}

/** How the consumers are made beyond what the pipeline says. */
export interface JetStreamSourceOptions {
  /** Tests only: how long (ns) the server waits for an ack before it delivers a message again. Default 60 s. */
  readonly ackWaitNs?: number;
  /** Per source name: the verifier of its feed keys (`signedBy`); such a source refuses messages that do not verify. */
  readonly feedVerifiers?: ReadonlyMap<string, SignatureVerifier>;
}

const ACK_WAIT_NS = 60_000_000_000;
/** Delivered-but-unacked messages a lane without a wildcard may have: the run acks only what it released. */
const MAX_ACK_PENDING = 50_000;

/** A subject filter with a wildcard token. */
export const hasWildcard = (subject: string): boolean => subject.split(".").some((t) => t === "*" || t === ">");

/** What a lane's consumer is created with (the delivery start aside). */
interface LaneConfig {
  readonly durable_name: string;
  readonly ack_policy: AckPolicy;
  readonly filter_subject: string;
  readonly max_ack_pending: number;
  readonly ack_wait: number;
}

/**
 * The lanes a pipeline's sources read, in order: one per source subject, with its stream and durable consumer name
 * (what JetStreamSource.open creates, and what the start check of app/recordingCheck.ts looks up).
 */
export function laneLayout(
  sources: readonly CompiledSource[],
  consumerPrefix: string,
): { readonly index: number; readonly source: CompiledSource; readonly subject: string; readonly stream: string; readonly durable: string }[] {
  return sources
    .flatMap((source) => source.subjects.map((subject) => ({ source, subject })))
    .map(({ source, subject }, index) => ({
      index,
      source,
      subject,
      stream: streamForSubject(subject),
      durable: durableName(consumerPrefix, source.name, String(index)),
    }));
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
  private readonly iterators: (ConsumerMessages | undefined)[] = [];
  private readonly loops = new Set<Promise<void>>();
  /** Per lane: bumped when its consumer is recreated; a loop of an older generation hands nothing over. */
  private readonly generation: number[] = [];
  private stopped = false;
  private statusWatch?: { stop(): void };
  private resyncing: Promise<void> = Promise.resolve();
  private handlers?: Parameters<JetStreamSource["start"]>[0];

  private constructor(
    private readonly nc: NatsConnection,
    readonly lanes: readonly Lane[],
    private readonly configs: readonly LaneConfig[],
    private readonly startAt: ((lane: number, subject: string) => bigint | undefined) | undefined,
    private readonly options: JetStreamSourceOptions,
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
    o: JetStreamSourceOptions = {},
  ): Promise<JetStreamSource> {
    const jsm = await jetstreamManager(nc);
    const lanes: Lane[] = [];
    const configs: LaneConfig[] = [];
    for (const { source, subject, stream, durable } of laneLayout(sources, consumerPrefix)) {
      const wildcard = hasWildcard(subject);
      const config: LaneConfig = {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        filter_subject: subject,
        // A wildcard lane catching up holds its whole backlog unacked until it is caught up (JetStreamInput): any
        // limit below the backlog would stop delivery before that and never release it. Unlimited (-1, which
        // nats-server 2.9 accepts) costs the memory of holding it: about 1.4 KB of heap per held message of 200
        // bytes (measured: 200,000 bars held, +284 MB heap, 544 MB RSS), so a backlog of millions needs memory
        // in proportion, or a run started before most of it is imported.
        max_ack_pending: wildcard ? -1 : MAX_ACK_PENDING,
        ack_wait: o.ackWaitNs ?? ACK_WAIT_NS,
      };
      let info: ConsumerInfo | undefined;
      try {
        info = await jsm.consumers.info(stream, durable);
      } catch (e) {
        if (!/not found/i.test((e as Error).message)) throw e;
      }
      const at = startAt?.(lanes.length, subject);
      let startSeq: bigint;
      if (info !== undefined && info.config.filter_subject !== subject) {
        throw new Error(
          `consumer ${durable} on ${stream} filters ${info.config.filter_subject ?? "(nothing)"}, but the pipeline reads ${subject}: use another --consumer prefix`,
        );
      } else if (at !== undefined) {
        // A checkpointed run knows exactly what it committed: restart there (it skips what it committed above).
        if (info !== undefined) await jsm.consumers.delete(stream, durable);
        await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(at) });
        startSeq = at;
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
        startSeq = BigInt(first ?? 1);
      } else {
        // Reused without a checkpoint: it continues above its ack floor (or where it began, before any ack: a 2.9
        // server reports ack floor 0 until then).
        const from = Math.max(info.ack_floor.stream_seq + 1, info.config.opt_start_seq ?? 1);
        startSeq = BigInt(from);
        if (info.num_ack_pending > 0) {
          // A previous process stopped with messages delivered but not acked. Left alone, the server redelivers
          // them only after ack_wait, behind newer messages, where they would be late: restart the consumer there.
          await jsm.consumers.delete(stream, durable);
          await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
        } else if (info.config.max_ack_pending !== config.max_ack_pending || info.config.ack_wait !== config.ack_wait) {
          // Made by an older version (or another test setting): a 2.9 server updates these in place.
          await jsm.consumers.update(stream, durable, { max_ack_pending: config.max_ack_pending, ack_wait: config.ack_wait });
        }
      }
      lanes.push({ index: lanes.length, source, subject, stream, durable, startSeq, wildcard });
      configs.push(config);
    }
    return new JetStreamSource(nc, lanes, configs, startAt, o);
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
    this.handlers = handlers;
    for (const lane of this.lanes) await this.consume(lane);
    // A nats-server that restarted (kill -9, a crash) comes back with the consumer state it last wrote: deliveries
    // and acks of the last moments are forgotten, so messages can sit "ack pending" that this process never got
    // (measured: 468 of 23,720, released only after ack_wait, then late) or count as acked although they never
    // arrived. At a disconnect every lane is detached at once (its iterator would re-pull from the stale consumer
    // after the reconnect and hand over sequences above ones it never delivered); after the reconnect each lane's
    // consumer is recreated where this run's own committed position says (`startAt`), and the run's LanePosition
    // sorts what comes again.
    const status = this.nc.status();
    this.statusWatch = status as unknown as { stop(): void };
    void (async () => {
      for await (const s of status) {
        if (this.stopped) break;
        if (s.type === "disconnect") for (const lane of this.lanes) this.detach(lane);
        else if (s.type === "reconnect") this.scheduleResync();
      }
    })().catch(() => undefined);
    void this.nc.closed().then((e) => {
      if (!this.stopped) handlers.onError(this.lanes[0]!, e ?? new Error("the NATS connection closed"));
    });
  }

  /** Stops a lane's iterator; whatever it still delivers is dropped (its successor delivers it again). */
  private detach(lane: Lane): void {
    this.generation[lane.index] = (this.generation[lane.index] ?? 0) + 1;
    this.iterators[lane.index]?.stop();
    this.iterators[lane.index] = undefined;
  }

  /** Consumes one lane with a fresh iterator (a new generation). */
  private async consume(lane: Lane): Promise<void> {
    const handlers = this.handlers!;
    const gen = (this.generation[lane.index] = (this.generation[lane.index] ?? 0) + 1);
    const consumer = await jetstream(this.nc).consumers.get(lane.stream, lane.durable);
    const it = await consumer.consume({ max_messages: 2000 });
    if (this.stopped || gen !== this.generation[lane.index]) {
      // stop() or a disconnect came while it was being created.
      it.stop();
      return;
    }
    this.iterators[lane.index] = it;
    const loop: Promise<void> = (async () => {
      try {
        for await (const msg of it) {
          // Messages of a replaced consumer: its successor delivers them again.
          if (gen !== this.generation[lane.index]) break;
          // Messages the client already held still arrive after stop(): hand them back for immediate redelivery.
          if (this.stopped) {
            msg.nak();
            continue;
          }
          const refused = this.checkSignature(lane, msg);
          if (refused) {
            handlers.onReject({ lane: lane.index, source: lane.source, error: refused, msg, stage: "signature" });
            continue;
          }
          const r = decodeSourceMessage(lane.source, msg.subject, msg.seq, msg.data);
          if ("error" in r) handlers.onReject({ lane: lane.index, source: lane.source, error: r.error, msg });
          else handlers.onMessage({ lane: lane.index, source: lane.source, item: r.item, msg }, msg.info.pending);
        }
      } catch (e) {
        if (!this.stopped && gen === this.generation[lane.index]) handlers.onError(lane, e);
      }
    })().finally(() => this.loops.delete(loop));
    this.loops.add(loop);
  }

  /**
   * A source with feed keys (`signedBy`) takes only messages with a valid signature under one of them, judged against
   * the time the stream stored the message (so a backlog read later is not expired). Every delivery counts as a
   * possible redelivery for the verifier: a repeated message id is the dedupe's business (the stream's window, the
   * run's id set), and a redelivery after a consumer was recreated must not be taken for a replay.
   */
  private checkSignature(lane: Lane, msg: JsMsg): MessageValidationError | undefined {
    const verifier = this.options.feedVerifiers?.get(lane.source.name);
    if (!verifier) return undefined;
    const v = verifyFeedMessage(
      verifier,
      { subject: msg.subject, headers: msg.headers, data: msg.data },
      { storedMs: msg.info.timestampNanos / 1e6, redelivered: true },
    );
    if (v.ok) return undefined;
    return new MessageValidationError(
      lane.source.kind,
      `${msg.subject} #${msg.seq}`,
      SIGNATURE_HEADER,
      `feed signature refused (${v.reason}): source ${lane.source.name} takes only messages signed with its feed keys (signedBy)`,
    );
  }

  private scheduleResync(): void {
    const attempt = async (): Promise<void> => {
      for (let n = 1, wait = 250; !this.stopped; n++, wait = Math.min(wait * 2, 5000)) {
        try {
          await this.resync();
          return;
        } catch (e) {
          // JetStream is still coming up (or the server went away again): try again; say so once it lasts.
          if (n === 5)
            process.stderr.write(
              `tickflow: after reconnecting to NATS the consumers could not be recreated yet (${(e as Error).message}); consumption waits, retrying\n`,
            );
          await new Promise((r) => setTimeout(r, wait).unref());
        }
      }
    };
    this.resyncing = this.resyncing.then(attempt);
  }

  /** Detaches every lane and recreates its consumer at this run's committed position. */
  private async resync(): Promise<void> {
    for (const lane of this.lanes) await this.recreate(lane);
  }

  /** Recreates one lane's consumer at this run's committed position (after its ack state diverged from the run's). */
  reposition(lane: Lane): Promise<void> {
    const run = this.resyncing.then(() => this.recreate(lane));
    this.resyncing = run.catch(() => undefined);
    return run;
  }

  private async recreate(lane: Lane): Promise<void> {
    const at = this.startAt?.(lane.index, lane.subject);
    if (at === undefined || this.stopped) return;
    const jsm = await jetstreamManager(this.nc);
    this.detach(lane);
    try {
      await jsm.consumers.delete(lane.stream, lane.durable);
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e;
    }
    await jsm.consumers.add(lane.stream, { ...this.configs[lane.index]!, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(at) });
    if (!this.stopped) await this.consume(lane);
  }

  /** Stops every consumer and waits (up to 5 s) until no message can reach the handlers any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.statusWatch?.stop();
    for (const it of this.iterators) it?.stop();
    await within(this.resyncing, 2000, undefined);
    await within(Promise.allSettled([...this.loops]), 5000, undefined);
  }
}
