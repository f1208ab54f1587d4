// The line `tickflow run` / `tickflow start` print once the run consumes: what runs, against which NATS and DuckDB.
// Credentials in the NATS URL are masked: the banner lands in terminals, CI logs and log collectors.
import { redactUrl } from "../core/redact.ts";

export interface RunningBanner {
  readonly pipeline: string;
  readonly runId: string;
  readonly natsUrl: string;
  readonly dbPath: string;
  /** The dashboard URL, when the HTTP server runs. */
  readonly dashboardUrl?: string;
}

/**
 * The start banner, newline included.
 *
 * @example runningBanner({ pipeline: "p", runId: "live-p", natsUrl: "nats://u:pw@h:4222", dbPath: "data/t.duckdb" })
 * // "tickflow: running p (run live-p, NATS nats://u:***@h:4222, DuckDB data/t.duckdb); Ctrl-C to stop\n"
 */
export function runningBanner(b: RunningBanner): string {
  return `tickflow: running ${b.pipeline} (run ${b.runId}, NATS ${redactUrl(b.natsUrl)}, DuckDB ${b.dbPath})${b.dashboardUrl ? `; dashboard ${b.dashboardUrl}` : ""}; Ctrl-C to stop\n`;
}
