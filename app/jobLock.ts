// Once-per-occurrence for cluster-scoped jobs (ops/scheduler.ts): one NATS KV key per (job, occurrence), taken
// with an atomic create, so of every process sharing the server exactly one runs each occurrence. Keys expire
// after the bucket's TTL (7 days), which bounds how far back a catch-up can look.
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { JOBS_BUCKET } from "../io/nats/auth.ts";
import type { OccurrenceLock } from "../ops/scheduler.ts";

/** How long a taken occurrence is remembered. */
export const JOB_LOCK_TTL_MS = 7 * 86_400_000;

/** Creates or updates the bucket (admin, at `tickflow up`); pipelines only open it. */
export async function ensureJobsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(JOBS_BUCKET, { history: 1, ttl: JOB_LOCK_TTL_MS });
}

const key = (job: string, occurrenceMs: number): string => `${job.replace(/[^-_A-Za-z0-9]/g, "_")}.${occurrenceMs}`;

export class KvOccurrenceLock implements OccurrenceLock {
  private constructor(
    private readonly kv: KV,
    /** Who this process is, written into the keys it takes (e.g. `live-sma-crossover@host:pid`). */
    private readonly holder: string,
  ) {}

  static async open(nc: NatsConnection, holder: string): Promise<KvOccurrenceLock> {
    return new KvOccurrenceLock(await new Kvm(nc).open(JOBS_BUCKET), holder);
  }

  async acquire(job: string, occurrenceMs: number): Promise<{ acquired: true } | { acquired: false; holder: string }> {
    try {
      await this.kv.create(key(job, occurrenceMs), this.holder);
      return { acquired: true };
    } catch (e) {
      // create fails when the key exists (another process took it); anything else is an error to report.
      const existing = await this.kv.get(key(job, occurrenceMs)).catch(() => null);
      if (existing && existing.operation === "PUT") return { acquired: false, holder: existing.string() };
      throw e;
    }
  }

  async taken(job: string, occurrenceMs: number): Promise<boolean> {
    const e = await this.kv.get(key(job, occurrenceMs));
    return e !== null && e.operation === "PUT";
  }
}
