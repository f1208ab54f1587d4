// The live input port: JetStream consumers → Sequencer (one event-time order across sources, with a watermark) →
// batches for the run driver. Each batch's `commit()` acks its messages, and the messages of the dead letters it
// carries, only after the driver committed everything the batch produced. Nothing is acked after a failure.
// A wildcard lane that opens on a backlog holds the watermark until it has delivered all of it (catching up).
import type { NatsConnection } from "@nats-io/transport-node";
import type { JsMsg } from "@nats-io/jetstream";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import { z } from "zod";
import { DEFAULT_SUBJECTS, inputIdOf, SOURCE_KINDS } from "../schemas/kinds.ts";
import { defineSource, serviceToken } from "../runtime/connectors.ts";
import { nsToIso, parseDurationNs } from "../schemas/time.ts";
import type { InputBatch, InputPort, Timed } from "../runtime/ports.ts";
import { lateReason, Sequencer, type Sequenced } from "../runtime/sequencer.ts";
import { SequencedBatches } from "../runtime/sequencedBatches.ts";
import { SignatureVerifier } from "../core/signing.ts";
import { loadKeysFile } from "../sinks/signingKeys.ts";
import { JetStreamSource, type DecodedMessage } from "./jetstreamSource.ts";
import { NATS } from "../sinks/outputSinks.ts";
import { SourceConnectionError } from "./sourceErrors.ts";
import { LanePosition, type LanePositionState } from "./lanePosition.ts";
import { StateRestoreError } from "../core/state.ts";

/** What a checkpoint keeps of the live input: each lane's committed position and the released watermark. */
export interface JetStreamPosition {
  readonly lanes: readonly (LanePositionState & { readonly source: string; readonly subject: string })[];
  readonly watermark: bigint;
  /** The newest event time accepted (the `maxAhead` reference); absent in checkpoints of earlier versions. */
  readonly newest?: bigint;
}

/** What the live input reports (ops/metrics.ts implements it); measured here, in the I/O layer. */
export interface JetStreamInputMetrics {
  late?(): void;
  consumerPending?(consumer: string, pending: number): void;
  /** A lane's consumer was recreated because its ack state diverged from the run's (see checkDiverged). */
  consumerRepositioned?(consumer: string): void;
  /** After each batch is committed and acked: wall time since it was released, the watermark, inputs still buffered. */
  batchProcessed?(seconds: number, watermark: bigint, buffered: number): void;
}

export interface JetStreamInputOptions {
  readonly nc: NatsConnection;
  readonly pipeline: CompiledPipeline;
  /** Durable consumer names start with this; reuse it to resume. */
  readonly consumerPrefix: string;
  /** New consumers start at the first stored message ("all") or at messages published from now on ("new"). */
  readonly deliver?: "all" | "new";
  readonly metrics?: JetStreamInputMetrics;
  /** Tests only: the consumers' ack wait (ns); default 60 s. */
  readonly ackWaitNs?: number;
  /** How long a lane's consumer may report more unacked deliveries than the run holds before it is recreated (DIVERGED_MS). */
  readonly divergedAfterMs?: number;
  /** Per source name: the verifier of its feed keys (the source's `signedBy` param). */
  readonly feedVerifiers?: ReadonlyMap<string, SignatureVerifier>;
}

/**
 * A message delivered more often than this without being committed is dead-lettered (stage "redelivered") and
 * terminated. The server counts deliveries per consumer, and this input recreates its consumers at every resume
 * and reconnect (which starts the count again), so it catches what another consumer of the same durable failed,
 * not a message that makes the process crash (see docs/architecture.md).
 */
export const MAX_DELIVERIES = 5;

/** How long a lane's consumer may report more unacked deliveries than the run holds before it is recreated. */
export const DIVERGED_MS = 20_000;

interface Pending {
  readonly msg: JsMsg;
  readonly lane: number;
  readonly item: Timed;
  /** Dedupe key: the message's kind and id (what the recording keys inputs by). */
  readonly key: string;
}

/** A dead letter whose message is acked (or termed) with the batch that writes it. */
interface PendingDead {
  readonly letter: DeadLetter;
  readonly lane: number;
  readonly seq: bigint;
  readonly ack: () => SentAck;
}

/** An ack (or term) this process sent, kept until the server confirmed it (see confirmAcks). */
interface SentAck {
  readonly msg: JsMsg;
  readonly term: boolean;
}

const decoder = new TextDecoder();

/** An event time for a reason: ISO when it is a date, the nanoseconds as well. */
const isoOf = (ns: bigint): string => `${nsToIso(ns)} (${ns} ns)`;

export class JetStreamInput implements InputPort {
  readonly name = "jetstream";
  private source?: JetStreamSource;
  private readonly sequencer: Sequencer<Pending>;
  private opened?: Promise<void>;
  private idleTimer?: NodeJS.Timeout;
  private readonly lastMessageAt: number[] = [];
  /** Per lane: messages handed to this process and not yet acked (or termed). */
  private readonly held: number[] = [];
  /**
   * Per lane: the newest redelivery of a message this process holds, by stream sequence. The commit acks it beside
   * the first delivery: after a consumer was recreated (or a server restarted) only the newest delivery is sure to be
   * pending on the consumer that now serves the lane.
   */
  private readonly redelivered: Map<bigint, JsMsg>[] = [];
  /** Deliveries of an uncommitted message on other lanes (overlapping filters), acked with its commit. */
  private readonly alsoAck = new Map<string, { lane: number; msg: JsMsg }[]>();
  /** Per lane: since when (ms) the server reports more unacked deliveries than this process holds (see checkIdle). */
  private readonly divergedSince: (number | undefined)[] = [];
  /** Dedupe keys of messages handed over but not yet committed (a redelivery of one is not acked). */
  private readonly uncommitted = new Set<string>();
  private buffered = 0;
  private readonly out: SequencedBatches<Pending, PendingDead>;
  /** Per lane: what this run has committed (checkpointed with each batch). */
  private positions: LanePosition[] = [];
  private resumeFrom?: JetStreamPosition;
  /** Wall time (ms) the message being handled arrived: the sequencer's clock for maxAhead. */
  private arrivedAt = Date.now();

  constructor(private readonly o: JetStreamInputOptions) {
    const lanes = o.pipeline.sources.reduce((n, s) => n + s.subjects.length, 0);
    const seq = o.pipeline.decl.sequencing;
    this.sequencer = new Sequencer<Pending>(lanes, parseDurationNs(seq.maxDelay), undefined, {
      maxAheadNs: parseDurationNs(seq.maxAhead),
      now: () => BigInt(this.arrivedAt) * 1_000_000n,
    });
    this.out = new SequencedBatches(this.sequencer, (entries, watermark, dead) => this.batch(entries, watermark, dead));
  }

  /** The consumers' lanes (one per source subject), once open. */
  get lanes(): JetStreamSource["lanes"] {
    return this.source?.lanes ?? [];
  }

  /** The released watermark (every input before it has been handed to the pipeline). */
  get watermark(): bigint {
    return this.sequencer.watermark;
  }

  /** Creates or resumes the durable consumers and starts consuming. Idempotent. */
  open(): Promise<void> {
    this.opened ??= this.doOpen();
    return this.opened;
  }

  /** Continues from a checkpoint: each lane restarts at its floor + 1 and skips what was committed above it. */
  resume(position: unknown): void {
    if (this.opened) throw new Error("jetstream input: resume() must come before open()");
    const pos = position as JetStreamPosition;
    const want = this.o.pipeline.sources.flatMap((s) => s.subjects.map((subject) => `${s.name} ${subject}`));
    const have = pos.lanes.map((l) => `${l.source} ${l.subject}`);
    if (want.join("\n") !== have.join("\n"))
      throw new StateRestoreError(`the checkpoint's input read ${have.join(", ")}, but the pipeline reads ${want.join(", ")}`);
    this.resumeFrom = pos;
    this.sequencer.restoreWatermark(pos.watermark, pos.newest);
  }

  /** Each lane's consumer's pending count, asked of the server now (an empty record before the consumers exist). */
  async backlog(): Promise<Record<string, number>> {
    const source = this.source;
    if (!source) return {};
    const out: Record<string, number> = {};
    for (const lane of source.lanes) out[lane.durable] = await source.pending(lane);
    return out;
  }

  private async doOpen(): Promise<void> {
    const p = this.o.pipeline;
    const resume = this.resumeFrom;
    this.positions = resume ? resume.lanes.map((l) => new LanePosition(l)) : [];
    this.source = await JetStreamSource.open(this.o.nc, p.sources, this.o.consumerPrefix, this.o.deliver, (lane) => this.positions[lane]?.resumeAt, {
      ackWaitNs: this.o.ackWaitNs,
      feedVerifiers: this.o.feedVerifiers,
    });
    for (const lane of this.source.lanes) {
      this.positions[lane.index] ??= new LanePosition({ floor: lane.startSeq - 1n, above: [] });
      this.lastMessageAt[lane.index] = Date.now();
      this.held[lane.index] = 0;
      this.redelivered[lane.index] = new Map();
      const pending = await this.source.pending(lane);
      this.o.metrics?.consumerPending?.(lane.durable, pending);
      if (pending === 0) this.sequencer.setIdle(lane.index, true);
      // Imported history on a wildcard is in stream order, one subject after the other (every ORCL bar, then every
      // NVDA bar): released as it arrives, the watermark would pass the first subject's end before the second
      // arrives, and all of it would be late. So the watermark waits until the lane has delivered its backlog.
      // Its consumer has no max_ack_pending (JetStreamSource), since none of it is acked before then.
      else if (lane.wildcard) this.sequencer.setCatchingUp(lane.index, true);
    }
    await this.source.start({
      onMessage: (m, pending) => this.onMessage(m, pending),
      onReject: ({ lane, error, msg, stage }) => {
        const delivery = this.positions[lane]!.deliver(BigInt(msg.seq));
        if (delivery !== "new") {
          if (delivery === "committed") msg.term();
          else this.redelivered[lane]!.set(BigInt(msg.seq), msg);
          if (msg.info.pending === 0) this.caughtUp(lane);
          return;
        }
        this.held[lane]!++;
        const letter: DeadLetter = {
          stage: stage ?? "decode",
          subject: msg.subject,
          ref: `${msg.subject} #${msg.seq}`,
          reason: error.message,
          field: error.field || undefined,
          payload: decoder.decode(msg.data),
        };
        this.out.dead({ letter, lane, seq: BigInt(msg.seq), ack: () => this.ack(lane, msg, true) }); // term(): a 2.9 server ignores a reason argument
        if (msg.info.pending === 0) this.caughtUp(lane);
        this.out.signal();
      },
      onError: (lane, e) => this.fail(new SourceConnectionError(`consumer ${lane.durable} on ${lane.subject} failed: ${(e as Error).message}`, { cause: e })),
    });
    const idleMs = Number(parseDurationNs(p.decl.sequencing.idleAfter) / 1_000_000n);
    // A lane quiet for `idleAfter` stops holding the watermark back, but only once the server confirms it is
    // caught up: nothing left to deliver, and nothing delivered that this process has not yet handled. (A busy
    // event loop can starve a lane's iterator for longer than idleAfter; a wall-clock rule alone would then
    // release other lanes past its undelivered messages and make them late.)
    let checking = false;
    this.idleTimer = setInterval(
      () => {
        if (checking) return;
        checking = true;
        void this.checkIdle(idleMs).finally(() => (checking = false));
      },
      Math.max(10, idleMs),
    );
  }

  async *batches(): AsyncIterable<InputBatch> {
    await this.open();
    yield* this.out.batches();
  }

  /**
   * Stops the consumers (messages the client still holds are nak-ed for redelivery), then ends `batches()`: after
   * handing over what the sequencer holds (`drain`, default), or at once, leaving it unacked for the next run of a
   * checkpointed run id (which gets it again, in order).
   */
  async stop(o: { drain?: boolean } = {}): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    const drain = o.drain ?? true;
    // Without drain the run ends after the batch in hand; with, after everything the consumers still deliver.
    if (!drain) this.out.end(false);
    await this.source?.stop();
    this.out.end(drain);
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.source?.stop();
  }

  private batch(entries: readonly Sequenced<Pending>[], watermark: bigint, dead: readonly PendingDead[]): InputBatch {
    const t0 = performance.now();
    const lanes = this.source!.lanes;
    let positioned = false;
    const commitPositions = (): void => {
      // From here on these messages count as committed (the record transaction, or the commit without checkpoints).
      if (positioned) return;
      positioned = true;
      for (const { item: p } of entries) this.positions[p.lane]!.commit(BigInt(p.msg.seq));
      for (const d of dead) this.positions[d.lane]!.commit(d.seq);
    };
    return {
      items: entries.map((e) => e.item.item),
      sources: entries.map((e) => lanes[e.item.lane]!.source.rank),
      origins: entries.map((e) => ({ subject: e.item.msg.subject, streamSeq: BigInt(e.item.msg.seq) })),
      watermark,
      deadLetters: dead.map((d) => d.letter),
      position: (): JetStreamPosition => {
        // Called in the batch's record transaction.
        commitPositions();
        return {
          lanes: lanes.map((l) => ({ source: l.source.name, subject: l.subject, ...this.positions[l.index]!.state() })),
          watermark,
          newest: this.sequencer.newestAccepted,
        };
      },
      commit: async () => {
        if (this.out.failed !== undefined) return;
        commitPositions();
        const sent: SentAck[] = [];
        for (const { item: p } of entries) {
          sent.push(this.ack(p.lane, p.msg));
          this.ackRedelivery(p.lane, BigInt(p.msg.seq), false, sent);
          for (const other of this.alsoAck.get(p.key) ?? []) sent.push(this.ack(other.lane, other.msg));
          this.alsoAck.delete(p.key);
          this.uncommitted.delete(p.key);
        }
        for (const d of dead) {
          const s = d.ack();
          sent.push(s);
          this.ackRedelivery(d.lane, d.seq, s.term, sent);
        }
        await this.confirmAcks(sent);
        this.buffered -= entries.length;
        this.o.metrics?.batchProcessed?.((performance.now() - t0) / 1000, watermark, this.buffered);
      },
    };
  }

  private onMessage(m: DecodedMessage, pending: number): void {
    const lane = this.source!.lanes[m.lane]!;
    const delivery = this.positions[m.lane]!.deliver(BigInt(m.msg.seq));
    if (delivery === "again") {
      // Redelivered (ack_wait passed while the sequencer held it): the first delivery is processed and acked,
      // whatever the dedupe window still remembers. Not news from the lane: a held backlog redelivered every
      // ack_wait must not keep the lanes from ever being quiet for idleAfter (and so from flushing).
      this.redelivered[m.lane]!.set(BigInt(m.msg.seq), m.msg);
      if (pending === 0) this.caughtUp(m.lane);
      this.out.signal();
      return;
    }
    this.arrivedAt = this.lastMessageAt[m.lane] = Date.now();
    this.out.flushDue = false;
    if (delivery === "committed") {
      // This run committed it before a restart.
      m.msg.ack();
      if (pending === 0) this.caughtUp(m.lane);
      this.out.signal();
      return;
    }
    this.held[m.lane]!++;
    const deliveries = m.msg.info.deliveryCount;
    if (deliveries > MAX_DELIVERIES) {
      // First seen here, but the server gave it out this often: something else on this durable took it and never
      // committed it. Terminated (not acked), so the server stops offering it.
      const letter: DeadLetter = {
        stage: "redelivered",
        subject: m.msg.subject,
        ref: `${m.msg.subject} #${m.msg.seq}`,
        reason: `delivered ${deliveries} times without being committed (more than ${MAX_DELIVERIES}): terminated; find out what took the earlier deliveries (another process on consumer ${lane.durable}?)`,
        payload: decoder.decode(m.msg.data),
      };
      this.out.dead({ letter, lane: m.lane, seq: BigInt(m.msg.seq), ack: () => this.ack(m.lane, m.msg, true) });
      if (pending === 0) this.caughtUp(m.lane);
      this.out.signal();
      return;
    }
    const key = `${lane.source.kind}:${inputIdOf(lane.source.kind, m.item)}`;
    const origin = `${m.msg.info.stream}:${m.msg.seq}`;
    const r = this.sequencer.add(m.lane, m.item.tsEvent, BigInt(m.msg.seq), { msg: m.msg, lane: m.lane, item: m.item, key }, key, lane.source.rank, origin);
    this.o.metrics?.consumerPending?.(lane.durable, pending);
    if (r === "accepted") {
      this.buffered++;
      this.uncommitted.add(key);
    } else if (r === "duplicate") {
      if (this.sequencer.firstOrigin(key) === origin) {
        // The same stored message delivered on a second lane (overlapping subject filters; redeliveries on one lane
        // never get here, see LanePosition): that lane's consumer needs its own ack, now if the first was committed,
        // else with the first one's commit.
        if (this.uncommitted.has(key)) {
          const also = this.alsoAck.get(key);
          if (also) also.push({ lane: m.lane, msg: m.msg });
          else this.alsoAck.set(key, [{ lane: m.lane, msg: m.msg }]);
        } else this.ack(m.lane, m.msg);
      } else {
        // Another message with an id already processed: the recording keeps the first, so live does too.
        const letter: DeadLetter = {
          stage: "duplicate",
          subject: m.msg.subject,
          ref: `${m.msg.subject} #${m.msg.seq}`,
          reason: `${lane.source.kind} id ${key.slice(key.indexOf(":") + 1)} was already processed (first delivered as ${this.sequencer.firstOrigin(key)}); the first one counts, as in the recording`,
          field: "id",
          payload: decoder.decode(m.msg.data),
        };
        this.out.dead({ letter, lane: m.lane, seq: BigInt(m.msg.seq), ack: () => this.ack(m.lane, m.msg) });
      }
    } else if (r === "ahead") {
      const ref = this.sequencer.aheadReference();
      const letter: DeadLetter = {
        stage: "ahead",
        subject: m.msg.subject,
        ref: `${m.msg.subject} #${m.msg.seq}`,
        reason: `event time ${isoOf(m.item.tsEvent)} is more than ${this.o.pipeline.decl.sequencing.maxAhead} ahead of ${isoOf(ref)} (the latest of the wall clock, the watermark and the newest input accepted; sequencing.maxAhead): it would make every later input late; fix the producer's clock or raise maxAhead`,
        field: "tsEvent",
        payload: decoder.decode(m.msg.data),
      };
      this.out.dead({ letter, lane: m.lane, seq: BigInt(m.msg.seq), ack: () => this.ack(m.lane, m.msg) });
    } else {
      this.o.metrics?.late?.();
      const letter: DeadLetter = {
        stage: "late",
        subject: m.msg.subject,
        ref: `${m.msg.subject} #${m.msg.seq}`,
        reason: lateReason(m.item.tsEvent, this.sequencer.watermark, this.o.pipeline.decl.sequencing.maxDelay),
        field: "tsEvent",
        payload: decoder.decode(m.msg.data),
      };
      this.out.dead({ letter, lane: m.lane, seq: BigInt(m.msg.seq), ack: () => this.ack(m.lane, m.msg) });
    }
    if (pending === 0) this.caughtUp(m.lane);
    this.out.signal();
  }

  /** The lane's consumer has nothing left to deliver: it stops holding the watermark (idle, no longer catching up). */
  private caughtUp(lane: number): void {
    this.sequencer.setIdle(lane, true);
    this.sequencer.setCatchingUp(lane, false);
  }

  private async checkIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    let changed = false;
    // Every lane quiet for idleAfter: release what the out-of-orderness allowance still holds back.
    const quiet = this.source!.lanes.every((l) => now - this.lastMessageAt[l.index]! >= idleMs);
    if (quiet !== this.out.flushDue) {
      this.out.flushDue = quiet;
      changed = quiet;
    }
    for (const lane of this.source!.lanes) {
      if (now - this.lastMessageAt[lane.index]! < idleMs) continue;
      try {
        const asked = Date.now();
        const b = await this.source!.backlog(lane);
        // A message that arrived while we asked makes the answer stale.
        if (this.lastMessageAt[lane.index]! >= asked) continue;
        if (b.pending === 0 && b.ackPending <= this.held[lane.index]!) {
          this.divergedSince[lane.index] = undefined;
          this.caughtUp(lane.index);
          changed = true;
        } else if (b.pending === 0) this.checkDiverged(lane, b.ackPending);
      } catch {
        // Server unreachable: leave the lane as it is; the client reconnects.
      }
    }
    if (changed) this.out.signal();
  }

  /**
   * Nothing left to deliver, yet the server counts more deliveries unacked than this process holds: acks it sent went
   * to no pending delivery (a consumer recreated while they were in flight, a server that restarted on older state).
   * Left so, the lane never counts as caught up and the watermark waits forever. Once that lasts DIVERGED_MS, the
   * lane's consumer is recreated at this run's committed position; what it delivers again is acked as committed.
   */
  private checkDiverged(lane: JetStreamSource["lanes"][number], ackPending: number): void {
    const now = Date.now();
    const since = (this.divergedSince[lane.index] ??= now);
    if (now - since < (this.o.divergedAfterMs ?? DIVERGED_MS)) return;
    this.divergedSince[lane.index] = undefined;
    process.stderr.write(
      `tickflow: consumer ${lane.durable} reports ${ackPending} unacked deliveries while this run holds ${this.held[lane.index]}; recreating it at the committed position\n`,
    );
    this.o.metrics?.consumerRepositioned?.(lane.durable);
    void this.source!.reposition(lane).catch(() => undefined);
  }

  /** Acks (or terms) the newest redelivery of a committed message, when there was one. */
  private ackRedelivery(lane: number, seq: bigint, term: boolean, sent: SentAck[]): void {
    const again = this.redelivered[lane]!.get(seq);
    if (again === undefined) return;
    this.redelivered[lane]!.delete(seq);
    if (term) again.term();
    else again.ack();
    sent.push({ msg: again, term });
  }

  private ack(lane: number, msg: JsMsg, term = false): SentAck {
    if (term) msg.term();
    else msg.ack();
    this.held[lane]!--;
    return { msg, term };
  }

  /**
   * Resolves once the server has read the acks just sent. Acks are fire-and-forget publishes, and the NATS client
   * drops what it buffered while disconnected (nats.js resets its outbound buffer at every reconnect attempt): a
   * batch committed during a reconnect would otherwise stay unacked on the server and be delivered again to the
   * next run, although its outputs were committed. The server answers a PING only after reading everything sent
   * before it, so a resolved flush confirms the acks; a rejected one (the connection dropped) sends them again.
   */
  private async confirmAcks(sent: readonly SentAck[]): Promise<void> {
    if (sent.length === 0) return;
    for (;;) {
      try {
        await this.o.nc.flush();
        return;
      } catch (e) {
        const what = `the acks of ${sent.length} committed message(s) did not reach the server`;
        if (this.o.nc.isClosed())
          throw new SourceConnectionError(`jetstream input: the NATS connection closed and ${what}; the next run gets them again`, { cause: e });
        for (const s of sent) {
          // nats.js keeps a message's reply subject on it (JsMsgImpl.reply) but its ack() sends only once.
          const reply = (s.msg as JsMsg & { readonly reply?: unknown }).reply;
          if (typeof reply !== "string")
            throw new SourceConnectionError(
              `jetstream input: the NATS connection dropped and ${what}; cannot send them again (no reply subject on the message)`,
              { cause: e },
            );
          this.o.nc.publish(reply, s.term ? "+TERM" : "+ACK");
        }
      }
    }
  }

  private fail(e: unknown): void {
    this.out.fail(e);
  }
}

/** How a live run's JetStream consumers are named and where new ones start (command-line options of `tickflow run`). */
export const JETSTREAM_CONSUMERS = serviceToken<{
  readonly consumerPrefix?: string;
  readonly deliver?: "all" | "new";
  readonly metrics?: JetStreamInputMetrics;
}>("JetStream consumer options");

export const jetstreamSource = defineSource({
  connector: "jetstream",
  summary: "Durable JetStream pull consumers, one per subject filter; acks after each batch is committed; resumes at the ack floor.",
  params: z.strictObject({
    subjects: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("NATS subject filters; default per type: md.trades.>, md.bars.>, news.>. Also written as `subjects:` on the source."),
    signedBy: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a keys file (kid=hexkey lines, mode 0600; docs/signing.md) of the feed's signing keys: a message without a valid signature under one of them is dead-lettered (stage signature), not processed",
      ),
  }),
  example: '{ type: trade, subjects: ["md.trades.>"] }',
  kinds: SOURCE_KINDS,
  subjects: (p, kind) => p.subjects ?? DEFAULT_SUBJECTS[kind],
  open: (sources, params, ctx) => {
    const o = ctx.services.has(JETSTREAM_CONSUMERS) ? ctx.services.get(JETSTREAM_CONSUMERS, "the jetstream connector") : {};
    const feedVerifiers = new Map<string, SignatureVerifier>();
    sources.forEach((s, i) => {
      const file = params[i]?.signedBy;
      if (file !== undefined) feedVerifiers.set(s.name, new SignatureVerifier(loadKeysFile(file, `sources.${s.name}.params.signedBy`)));
    });
    return new JetStreamInput({
      feedVerifiers,
      nc: ctx.services.get(NATS, "the jetstream connector"),
      pipeline: ctx.pipeline,
      consumerPrefix: o.consumerPrefix ?? ctx.pipeline.decl.name,
      deliver: o.deliver,
      metrics: o.metrics,
    });
  },
});
