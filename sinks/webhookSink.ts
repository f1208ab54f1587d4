// The webhook sink: POSTs a node's items as JSON to an HTTP(S) endpoint, after the recording committed, retrying
// with backoff under one Idempotency-Key per chunk, so a receiver that dedupes sees each chunk once. Its chunks go
// through the run's outbox: recorded with the batch, POSTed after the commit, POSTed again after a crash.
import { createHash } from "node:crypto";
import { z } from "zod";
import { retry, RetriesExhaustedError } from "../core/retry.ts";
import { duration } from "../pipeline/operatorDef.ts";
import { defineSink } from "../runtime/connectors.ts";
import type { OutboxMessage, OutboxSender, OutputPort } from "../runtime/ports.ts";
import { KINDS, type Kind } from "../schemas/kinds.ts";
import type { AnyMessageType } from "../schemas/message.ts";
import { parseDurationNs } from "../schemas/time.ts";
import { TickflowError } from "../core/errors.ts";

export interface WebhookOptions {
  readonly url: string;
  /** Extra request headers (e.g. Authorization); Content-Type and Idempotency-Key are the sink's. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per attempt, request and response body together. */
  readonly timeoutMs: number;
  /** Attempts per chunk in total, including the first. */
  readonly attempts: number;
  /** Items per request. */
  readonly batchSize: number;
  readonly runId: string;
  /** Backoff base and cap (core/retry.ts defaults: 50 ms, 2 s). */
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** Tests inject these to observe the waits; default a timer and Math.random. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The longest Retry-After the sink waits: a receiver asking for more would stall the pipeline for that long. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The endpoint answered with a status that is not a success. */
export class WebhookHttpError extends TickflowError {
  static override readonly code = "WEBHOOK_HTTP_STATUS";
  override readonly name = "WebhookHttpError";
  constructor(
    message: string,
    readonly status: number,
    /** 5xx and 429: worth another attempt. */
    readonly retryable: boolean,
    /** What Retry-After asked for, when it did. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A chunk could not be delivered: the batch is not committed, so the run fails and its inputs stay unacknowledged. */
export class WebhookDeliveryError extends TickflowError {
  static override readonly code = "WEBHOOK_DELIVERY_FAILED";
  override readonly name = "WebhookDeliveryError";
  constructor(
    message: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The first 200 bytes of a body, for an error message. */
function head(body: string): string {
  const bytes = encoder.encode(body);
  return bytes.length <= 200 ? body : `${decoder.decode(bytes.subarray(0, 200))}…`;
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Network failures (fetch's TypeError "fetch failed"), timeouts and 5xx/429 are retried; anything else fails at once. */
function retryable(e: unknown): boolean {
  if (e instanceof WebhookHttpError) return e.retryable;
  const err = e as { name?: string; message?: string };
  return err?.name === "TimeoutError" || (e instanceof TypeError && err.message === "fetch failed");
}

/** What a failed attempt says, network causes included (fetch hides ECONNREFUSED under `cause`). */
function describe(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e instanceof TypeError && err.cause) return `${err.message} (${err.cause.code ?? err.cause.message})`;
  return err?.message ?? String(e);
}

/**
 * An effect port through the run's outbox: the chunks a batch would POST are encoded (one outbox message per chunk,
 * its id the Idempotency-Key) and recorded in the batch's transaction, then POSTed; a chunk the receiver never
 * took is POSTed again from the outbox when the run restarts. Without an outbox (a run without checkpoints) the
 * driver calls `write`, which POSTs the same chunks directly.
 */
export class WebhookOutputSink implements OutputPort, OutboxSender {
  readonly name = "webhook";
  readonly stage = "effect";
  /** Unique per endpoint and headers, without putting either (an Authorization header) into the recording. */
  readonly outbox: string;

  constructor(private readonly o: WebhookOptions) {
    this.outbox = `webhook:${createHash("sha256")
      .update(JSON.stringify([o.url, o.headers ?? {}]))
      .digest("hex")
      .slice(0, 16)}`;
  }

  get sender(): OutboxSender {
    return this;
  }

  /** One message per chunk of `batchSize` items: the JSON body, keyed `<run>:<node>:<firstSeq>`. */
  encode(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): OutboxMessage[] {
    const type = KINDS[kind] as AnyMessageType;
    const out: OutboxMessage[] = [];
    for (let i = 0; i < items.length; i += this.o.batchSize) {
      const chunk = items.slice(i, i + this.o.batchSize);
      const seq = firstSeq + BigInt(i);
      const body = JSON.stringify({ run: this.o.runId, node, kind, firstSeq: seq.toString(), items: chunk.map((x) => type.encode(x as never)) });
      out.push({
        subject: node,
        id: `${this.o.runId}:${node}:${seq}`,
        data: encoder.encode(body),
        headers: { what: `${chunk.length} ${kind} item(s) of node ${node} (run ${this.o.runId}, first seq ${seq})` },
      });
    }
    return out;
  }

  async write(node: string, kind: Kind, items: readonly unknown[], firstSeq: bigint): Promise<void> {
    await this.send(this.encode(node, kind, items, firstSeq));
  }

  async send(messages: readonly OutboxMessage[]): Promise<void> {
    for (const m of messages) await this.deliver(m.id, m.headers?.what ?? `chunk ${m.id}`, decoder.decode(m.data));
  }

  /** POSTs one chunk until a 2xx; the same Idempotency-Key on every attempt. */
  private async deliver(key: string, what: string, body: string): Promise<void> {
    const { url, timeoutMs } = this.o;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let asked = 0;
    try {
      await retry(
        async () => {
          const res = await fetch(url, {
            method: "POST",
            headers: { ...this.o.headers, "Content-Type": "application/json", "Idempotency-Key": key },
            body,
            // A POST answered with a redirect is not delivered: following it would turn it into a GET.
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
          });
          const text = await res.text();
          if (res.status >= 200 && res.status < 300) return;
          const again = res.status >= 500 || res.status === 429;
          throw new WebhookHttpError(
            `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}: ${JSON.stringify(head(text))}`,
            res.status,
            again,
            again ? retryAfterMs(res.headers.get("retry-after")) : undefined,
          );
        },
        {
          attempts: this.o.attempts,
          baseMs: this.o.baseMs,
          maxMs: this.o.maxMs,
          random: this.o.random,
          retryable,
          onRetry: (e) => (asked = e instanceof WebhookHttpError && e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, MAX_RETRY_AFTER_MS) : 0),
          // Retry-After is a floor under the jittered backoff, not a replacement for it.
          sleep: (ms) => sleep(Math.max(ms, asked)),
        },
      );
    } catch (e) {
      const made = e instanceof RetriesExhaustedError ? e.attempts : 1;
      const last = e instanceof RetriesExhaustedError ? e.cause : e;
      if (last instanceof WebhookHttpError && !last.retryable) {
        throw new WebhookDeliveryError(
          `webhook ${url} refused ${what}: ${last.message}; not retried (only network errors, timeouts, 5xx and 429 are): fix the receiver, the url or the headers, then rerun`,
          made,
          last,
        );
      }
      throw new WebhookDeliveryError(
        `webhook ${url}: ${what} not delivered after ${made} attempt(s), last: ${describe(last, timeoutMs)}; the batch is not committed: check that the receiver is up, then rerun (the Idempotency-Key ${key} lets it drop what it already has)`,
        made,
        last,
      );
    }
  }
}

/** RFC 9110 token: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set(["content-type", "idempotency-key", "content-length", "host"]);

/** zod runs this refinement even when the duration's format check failed: that one reports the bad text. */
function atLeastOneMs(d: string): boolean {
  try {
    return parseDurationNs(d) >= 1_000_000n;
  } catch {
    return true;
  }
}

const WEBHOOK_PARAMS = z.strictObject({
  url: z
    .string()
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), "must be an http:// or https:// URL, e.g. https://example.com/hook")
    .describe("Where to POST; http or https."),
  headers: z
    .record(z.string(), z.string().regex(/^[^\r\n\0]*$/, "header values must not contain line breaks"))
    // Keys checked here rather than by the record's key schema, whose issue would only say "Invalid key in record".
    .superRefine((h, ctx) => {
      for (const name of Object.keys(h)) {
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "is not a header name (letters, digits and !#$%&'*+.^_`|~-)" });
        else if (RESERVED_HEADERS.has(name.toLowerCase()))
          ctx.addIssue({ code: "custom", path: [name], message: "is set by the sink (Content-Type, Idempotency-Key, Content-Length, Host): remove it" });
      }
    })
    .default({})
    .describe('Extra request headers, e.g. { Authorization: "Bearer <token>" }.'),
  timeout: duration
    .refine(atLeastOneMs, "must be at least 1ms")
    .default("5s")
    .describe("Per attempt: no complete answer within it counts as a failed attempt."),
  attempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(5)
    .describe("Attempts per request in total, including the first; backoff with full jitter between them (Retry-After honoured up to 60 s)."),
  batchSize: z.number().int().positive().default(500).describe("Items per request; each request has its own firstSeq and Idempotency-Key."),
});

export const webhookSink = defineSink({
  type: "webhook",
  summary:
    "POSTs the node's items as JSON { run, node, kind, firstSeq, items: [wire JSON] } with Idempotency-Key <run>:<node>:<firstSeq>, after the recording committed; " +
    "retries network errors, timeouts, 5xx and 429; a batch commits once every request got a 2xx. Live runs only.",
  params: WEBHOOK_PARAMS,
  example: '{ type: webhook, in: signals, params: { url: "http://127.0.0.1:8080/hook", headers: { Authorization: "Bearer x" } } }',
  modes: ["live"],
  stage: "effect",
  create: (p, ctx) =>
    new WebhookOutputSink({
      url: p.url,
      headers: p.headers,
      timeoutMs: Number(parseDurationNs(p.timeout) / 1_000_000n),
      attempts: p.attempts,
      batchSize: p.batchSize,
      runId: ctx.runId,
    }),
});
