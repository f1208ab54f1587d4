// Publishes to JetStream with a message id on every message (a publish that timed out may still have been stored:
// the stream's duplicate window drops the second copy), a bounded number in flight, and retries with backoff and
// full jitter. A live run's publisher retries until NATS answers again: an outage is weather, not a failure.
import { setMaxListeners } from "node:events";
import { jetstream, JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import { InvalidArgumentError, InvalidSubjectError, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { retry } from "../core/retry.ts";
import { CircuitBreaker, type BreakerClock, type CircuitState } from "../core/circuitBreaker.ts";

export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Becomes the Nats-Msg-Id header: the stream's duplicate window drops a second copy. */
  readonly msgID: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Headers computed at each attempt, over the message as sent (a signature stamped with the time it goes out:
   * sinks/orderSigning.ts); set after `headers`.
   */
  readonly stamp?: (m: OutgoingMessage) => Readonly<Record<string, string>>;
}

export interface PublishHealthOptions {
  /** Default: the wall clock (Date.now). */
  readonly clock?: BreakerClock;
  /** Consecutive failed attempts that open the circuit. Default 3. */
  readonly failureThreshold?: number;
  /** How long the circuit reads open before half-open (the next outcome decides). Default 5000 ms. */
  readonly coolDownMs?: number;
}

/**
 * How the JetStream publishes of one connection fare: a circuit breaker that opens after consecutive failed attempts
 * and closes on the next success, and the last failure. It reports (ops/readiness.ts publishProbe, the
 * tickflow_publish_circuit_state gauge); it never refuses a publish: messages keep retrying while it is open.
 */
export class PublishHealth {
  readonly breaker: CircuitBreaker;
  private last?: unknown;
  private readonly listeners = new Set<(from: CircuitState, to: CircuitState) => void>();

  constructor(o: PublishHealthOptions = {}) {
    this.breaker = new CircuitBreaker("JetStream publishes", {
      failureThreshold: o.failureThreshold ?? 3,
      coolDownMs: o.coolDownMs ?? 5000,
      clock: o.clock ?? { nowMs: () => Date.now() },
      onStateChange: (from, to) => {
        for (const l of this.listeners) l(from, to);
      },
    });
  }

  /**
   * The health every publisher of `nc` reports to unless given its own: the live run builds its publisher inside
   * LiveRun, the operations layer (app/liveOps.ts) watches the same connection.
   */
  static of(nc: NatsConnection): PublishHealth {
    let h = SHARED.get(nc);
    if (!h) SHARED.set(nc, (h = new PublishHealth()));
    return h;
  }

  /** The error of the latest failed attempt (kept after a recovery, for the record). */
  get lastError(): unknown {
    return this.last;
  }

  failed(e: unknown): void {
    this.last = e;
    this.breaker.recordFailure();
  }

  succeeded(): void {
    this.breaker.recordSuccess();
  }

  /** Calls `listener` on every state change of the circuit; returns the unsubscribe. */
  onChange(listener: (from: CircuitState, to: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

const SHARED = new WeakMap<NatsConnection, PublishHealth>();

export interface JetStreamPublisherOptions {
  /** Publishes awaiting their ack at once (publishAll). Default 256. */
  readonly inFlight?: number;
  /** How long one attempt waits for the ack. Default 5000 ms. */
  readonly timeoutMs?: number;
  /**
   * Attempts per message, the first included. `Infinity` (live runs): retry until NATS stores it, so the run waits
   * out an outage; only a closed connection or a message NATS can never take (invalid subject, over max_payload)
   * ends it. Default 5: a command that publishes a file or a feed fails with the last error.
   */
  readonly attempts?: number;
  /** Largest backoff between attempts (full jitter below it). Default 3000 ms. */
  readonly maxBackoffMs?: number;
  /** Called before each retry (the tickflow_publish_retries_total counter). */
  readonly onRetry?: (e: unknown) => void;
  /** Where attempts are reported. Default: the connection's shared one (`PublishHealth.of(nc)`). */
  readonly health?: PublishHealth;
}

export class JetStreamPublisher {
  private readonly js: JetStreamClient;
  readonly health: PublishHealth;
  /** Aborted by `abandon()` or when the connection closes: waiting publishes give up at once. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: JetStreamPublisherOptions = {},
  ) {
    this.js = jetstream(nc, { timeout: opts.timeoutMs ?? 5000 });
    this.health = opts.health ?? PublishHealth.of(nc);
    // Every publish waiting in a backoff listens to it: up to `inFlight` listeners are expected.
    setMaxListeners(0, this.stopped.signal);
    void nc
      .closed()
      .then((e) =>
        this.abandon(
          new Error(`the NATS connection to ${nc.getServer()} was closed while the publish waited${e ? ` (${(e as Error).message})` : ""}`, { cause: e }),
        ),
      );
  }

  async publish(m: OutgoingMessage): Promise<PubAck> {
    const fixed = m.headers ? natsHeaders() : undefined;
    if (fixed && m.headers) for (const [k, v] of Object.entries(m.headers)) fixed.set(k, v);
    const headersNow = () => {
      if (!m.stamp) return fixed;
      const h = natsHeaders();
      for (const [k, v] of Object.entries({ ...m.headers, ...m.stamp(m) })) h.set(k, v);
      return h;
    };
    // Stamped once before the first attempt, so a message that cannot be stamped fails here instead of retrying.
    let stamped: ReturnType<typeof headersNow> | undefined = headersNow();
    return retry(
      async () => {
        const headers = stamped ?? headersNow();
        stamped = undefined;
        try {
          // The same msgID on every attempt: an attempt that timed out may have been stored all the same.
          const ack = await this.js.publish(m.subject, m.data, { msgID: m.msgID, headers });
          this.health.succeeded();
          return ack;
        } catch (e) {
          this.health.failed(e);
          throw e;
        }
      },
      {
        attempts: this.opts.attempts ?? 5,
        baseMs: 100,
        maxMs: this.opts.maxBackoffMs ?? 3000,
        retryable: (e) => !this.nc.isClosed() && !neverPublishable(e),
        signal: this.stopped.signal,
        what: `publish to ${m.subject} (msg id ${m.msgID}) on NATS ${this.nc.getServer()}`,
        onRetry: this.opts.onRetry,
      },
    );
  }

  /**
   * Ends every publish that waits in a backoff with `reason` at once (one in an attempt ends when that attempt
   * times out), and every later one: for a library user's stop that must not wait on a NATS that is away (a
   * checkpointed run's outbox keeps what did not go out). `tickflow run` closes the connection instead.
   */
  abandon(reason: Error): void {
    this.stopped.abort(reason);
  }

  /**
   * Publishes all, at most `inFlight` at once; acks come back in input order. After a failure no new message is
   * started; it rejects with the first failure once the publishes in flight have settled.
   */
  async publishAll(messages: readonly OutgoingMessage[], onProgress?: (done: number) => void): Promise<PubAck[]> {
    const acks = new Array<PubAck>(messages.length);
    const window = this.opts.inFlight ?? 256;
    let next = 0;
    let done = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < messages.length && !failed) {
        const i = next++;
        try {
          acks[i] = await this.publish(messages[i]!);
        } catch (e) {
          failed = true;
          throw e;
        }
        if (++done % 1000 === 0) onProgress?.(done);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(window, messages.length) }, worker));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    onProgress?.(done);
    return acks;
  }
}

/**
 * Errors no retry can cure: the message itself is wrong for NATS, or the stream refused it (a 4xx API error such as
 * a limit reached with discard new). A missing stream (an operator may recreate it) and a 503 (JetStream coming up
 * after a restart) are retried.
 */
function neverPublishable(e: unknown): boolean {
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    if (at instanceof InvalidSubjectError || at instanceof InvalidArgumentError) return true;
    if (at instanceof JetStreamApiError && at.status >= 400 && at.status < 500 && at.code !== JetStreamApiCodes.StreamNotFound) return true;
  }
  return false;
}
