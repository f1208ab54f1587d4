// Readiness probes for /readyz: each names one dependency and says, when it is not ready, why.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Database } from "../io/duckdb/database.ts";
import type { CircuitBreaker } from "../core/circuitBreaker.ts";

export interface ReadinessProbe {
  readonly name: string;
  /** undefined when ready; otherwise what is wrong and what to do. */
  check(): Promise<string | undefined>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { readonly ok: boolean; readonly reason?: string }>;
}

export async function checkReadiness(probes: readonly ReadinessProbe[]): Promise<ReadinessReport> {
  const results = await Promise.all(probes.map(async (p) => [p.name, await p.check().catch((e: unknown) => `probe failed: ${(e as Error).message}`)] as const));
  const checks: Record<string, { ok: boolean; reason?: string }> = {};
  for (const [name, reason] of results) checks[name] = reason === undefined ? { ok: true } : { ok: false, reason };
  return { ready: results.every(([, r]) => r === undefined), checks };
}

/** Follows the connection's status events: not ready from a disconnect until the reconnect, or once closed. */
export function natsProbe(nc: NatsConnection): ReadinessProbe {
  let disconnectedFrom: string | undefined;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") disconnectedFrom = s.server;
      else if (s.type === "reconnect") disconnectedFrom = undefined;
    }
  })().catch(() => undefined);
  return {
    name: "nats",
    async check() {
      if (nc.isClosed()) return "the NATS connection is closed";
      if (disconnectedFrom !== undefined) return `disconnected from NATS ${disconnectedFrom}; reconnecting (is nats-server running?)`;
      return undefined;
    },
  };
}

/** Runs `SELECT 1` through the serialised connection: fails once the database is closed. */
export function databaseProbe(db: Database): ReadinessProbe {
  return {
    name: "duckdb",
    async check() {
      try {
        await db.query("SELECT 1");
        return undefined;
      } catch (e) {
        return `DuckDB ${db.path}: ${(e as Error).message}`;
      }
    },
  };
}

export type ConsumerState = "starting" | "running" | "stopping" | "stopped" | "failed";

/** The live run's consumers: ready only while running; `failure` says why a failed run failed. */
export function consumersProbe(state: () => { state: ConsumerState; failure?: unknown }): ReadinessProbe {
  return {
    name: "consumers",
    async check() {
      const s = state();
      if (s.state === "running") return undefined;
      if (s.state === "failed") return `the live run failed: ${(s.failure as Error)?.message ?? String(s.failure)}`;
      return `consumers are ${s.state}`;
    },
  };
}

/** What the publish probe reads: the JetStream publishes' breaker and last failure (sinks/jetStreamPublisher.ts PublishHealth). */
export interface PublishHealthView {
  readonly breaker: CircuitBreaker;
  readonly lastError: unknown;
}

/**
 * The live run's JetStream publishes: not ready while their circuit is open (or half-open), e.g. "circuit open since
 * 2026-01-05T10:00:00.000Z, 7 consecutive failures: TIMEOUT; publishes keep retrying". The breaker reads the
 * wall clock in a live process, so its times print as ISO.
 */
export function publishProbe(health: PublishHealthView): ReadinessProbe {
  return {
    name: "publish",
    async check() {
      const b = health.breaker;
      const state = b.state;
      if (state === "closed") return undefined;
      const since = b.trippedAtMs;
      const at = since === undefined ? "" : ` since ${new Date(since).toISOString()}`;
      const e = health.lastError;
      const last = e === undefined ? "" : `: ${(e as Error)?.message ?? String(e)}`;
      return `circuit ${state}${at}, ${b.consecutiveFailures} consecutive failures${last}; publishes keep retrying and the run waits (is nats-server running?)`;
    },
  };
}
