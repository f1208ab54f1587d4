// Test helper: a real nats-server on a free port with a temporary store, plus a connection to it.
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { startTempNatsServer, type LocalNatsServer } from "../../io/nats/natsServer.ts";
import { ensureStreams } from "../../io/nats/streams.ts";

export interface NatsFixture {
  server: LocalNatsServer;
  nc: NatsConnection;
  url: string;
}

/** A fresh server with the streams; `connectOptions` tune the client (e.g. fast reconnects for restart tests). */
export async function startNats(connectOptions: Omit<ConnectionOptions, "servers"> = {}): Promise<NatsFixture> {
  const server = await startTempNatsServer();
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ ...connectOptions, servers: server.url });
    await ensureStreams(nc);
  } catch (e) {
    await nc?.close().catch(() => undefined);
    await server.stop();
    throw e;
  }
  return { server, nc, url: server.url };
}

export async function stopNats(f: NatsFixture | undefined): Promise<void> {
  if (!f) return;
  await f.nc.drain().catch(() => undefined);
  await f.server.stop();
}

/** Runs `fn` with a fresh server and connection, tearing both down after. */
export async function withNats<T>(fn: (f: NatsFixture) => Promise<T>): Promise<T> {
  const f = await startNats();
  try {
    return await fn(f);
  } finally {
    await stopNats(f);
  }
}
