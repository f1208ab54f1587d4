// Test helper: a real nats-server with the role users tickflow up configures (io/nats/auth.ts), on a free port.
import { randomBytes } from "node:crypto";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { hashPassword, inboxPrefixOf, NATS_ROLES, renderServerAuth, type NatsRole } from "../../io/nats/auth.ts";
import { startTempNatsServer, type LocalNatsServer } from "../../io/nats/natsServer.ts";

export interface SecuredNats {
  readonly server: LocalNatsServer;
  readonly url: string;
  readonly passwords: Readonly<Record<NatsRole, string>>;
  /** Connects as a role (its user, password and inbox prefix). */
  connectAs(role: NatsRole, o?: Omit<ConnectionOptions, "servers">): Promise<NatsConnection>;
  stop(): Promise<void>;
}

export async function startSecuredNats(o: { tls?: { certFile: string; keyFile: string }; url?: (port: number) => string } = {}): Promise<SecuredNats> {
  const passwords = Object.fromEntries(NATS_ROLES.map((r) => [r, randomBytes(18).toString("base64url")])) as Record<NatsRole, string>;
  const config = renderServerAuth(
    NATS_ROLES.map((role) => ({ role, bcryptHash: hashPassword(passwords[role]) })),
    { tls: o.tls },
  );
  const server = await startTempNatsServer({ config });
  const url = o.url?.(server.port) ?? server.url;
  const open: NatsConnection[] = [];
  return {
    server,
    url,
    passwords,
    async connectAs(role, extra = {}) {
      const nc = await connect({ servers: url, user: role, pass: passwords[role], inboxPrefix: inboxPrefixOf(role), ...extra });
      open.push(nc);
      return nc;
    },
    async stop() {
      for (const nc of open) await nc.close().catch(() => undefined);
      await server.stop();
    },
  };
}
