// Process configuration from the environment, validated once at the edge. Defaults beside each field.
import { resolve } from "node:path";
import { z } from "zod";
import { parseHttpHosts } from "./httpHosts.ts";

const ConfigSchema = z.object({
  /** NATS server to use. Default: the local server `tickflow up` starts from nats.conf. */
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /** DuckDB recording file. Default: data/tickflow.duckdb under the working directory. */
  TICKFLOW_DB: z.string().default("data/tickflow.duckdb"),
  /** Where `tickflow up` keeps the server's pid, log and JetStream store. Default: data/. */
  TICKFLOW_DATA: z.string().default("data"),
  /** Names the ops HTTP server answers to besides localhost, 127.0.0.1 and [::1], comma-separated. Default: none. */
  TICKFLOW_HTTP_HOSTS: z.string().default(""),
});

export interface Config {
  readonly natsUrl: string;
  readonly dbPath: string;
  readonly dataDir: string;
  /** True when NATS_URL was set explicitly (then `up` does not start a server). */
  readonly natsUrlFromEnv: boolean;
  /** TICKFLOW_HTTP_HOSTS, validated (e.g. `["dash.internal", "10.0.0.5:8080"]`). Default (and when absent): none. */
  readonly httpHosts?: readonly string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = ConfigSchema.safeParse(env);
  if (!r.success) throw new Error(`invalid environment: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return {
    natsUrl: r.data.NATS_URL,
    dbPath: resolve(r.data.TICKFLOW_DB),
    dataDir: resolve(r.data.TICKFLOW_DATA),
    natsUrlFromEnv: env.NATS_URL !== undefined,
    httpHosts: parseHttpHosts(r.data.TICKFLOW_HTTP_HOSTS, "TICKFLOW_HTTP_HOSTS"),
  };
}
