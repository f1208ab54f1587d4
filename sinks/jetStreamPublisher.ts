// Publishes to JetStream with a message id on every message (so a retried publish is stored once),
// a bounded number in flight, and retries with backoff and jitter on timeouts.
import { jetstream, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { retry } from "../core/retry.ts";

export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Becomes the Nats-Msg-Id header: the stream's duplicate window drops a second copy. */
  readonly msgID: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export class JetStreamPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly opts: { inFlight?: number; timeoutMs?: number; attempts?: number; onRetry?: (e: unknown) => void } = {},
  ) {
    this.js = jetstream(nc, { timeout: opts.timeoutMs ?? 5000 });
  }

  async publish(m: OutgoingMessage): Promise<PubAck> {
    const h = m.headers ? natsHeaders() : undefined;
    if (h && m.headers) for (const [k, v] of Object.entries(m.headers)) h.set(k, v);
    return retry(() => this.js.publish(m.subject, m.data, { msgID: m.msgID, headers: h }), {
      attempts: this.opts.attempts ?? 5,
      baseMs: 100,
      maxMs: 3000,
      onRetry: this.opts.onRetry,
    });
  }

  /** Publishes all, at most `inFlight` at once; acks come back in input order. */
  async publishAll(messages: readonly OutgoingMessage[], onProgress?: (done: number) => void): Promise<PubAck[]> {
    const acks = new Array<PubAck>(messages.length);
    const window = this.opts.inFlight ?? 256;
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < messages.length) {
        const i = next++;
        acks[i] = await this.publish(messages[i]!);
        if (++done % 1000 === 0) onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, messages.length) }, worker));
    onProgress?.(done);
    return acks;
  }
}
