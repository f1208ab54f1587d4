// Where a command finds its credentials. NATS: its role's user (NATS_URL's user:password, else the role's password in
// the encrypted secrets store, which `tickflow up` fills on first start), its own inbox prefix, and TLS when asked.
// Signing keys: the environment (TICKFLOW_SIGNING_KEYS_FILE, TICKFLOW_HMAC_KEY[_FILE]) when it names one, else the
// store's `signing/*` keys. Also writes the server side of a local setup: data/nats-auth.conf (bcrypt hashes only),
// included by nats.conf.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { replacePrivateFile } from "../io/privateFile.ts";
import { dirname } from "node:path";
import type { ConnectionOptions } from "@nats-io/transport-node";
import type { Config } from "../io/config.ts";
import type { Keyring } from "../core/signing.ts";
import { loadKeyring } from "../sinks/signingKeys.ts";
import { hashPassword, inboxPrefixOf, NATS_ROLES, renderServerAuth, type NatsRole } from "../io/nats/auth.ts";
import { SecretStore, secretsFile } from "../io/secrets.ts";

/** The secret holding a role's NATS password (the user name is the role's name). */
export const natsSecretName = (role: NatsRole): string => `nats/${role}`;

/** Where a role's credentials come from, for messages (never the password). */
export type CredentialSource = "NATS_URL" | "secrets" | "none";

export interface RoleConnection {
  readonly options: ConnectionOptions;
  readonly source: CredentialSource;
  /** The URL without user information, for messages. */
  readonly url: string;
}

/** NATS_URL split into the server address and the user:password it may carry. */
export function splitNatsUrl(url: string): { url: string; user?: string; pass?: string } {
  const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(url);
  if (!m) return { url };
  const [user, pass] = m[2]!.split(":", 2);
  return { url: `${m[1]}${m[3]}`, user: decodeURIComponent(user ?? ""), pass: pass === undefined ? undefined : decodeURIComponent(pass) };
}

/** The secrets store of the configuration, when it exists (a fresh machine has none until `tickflow up`). */
function configuredSecrets(cfg: Config, env: NodeJS.ProcessEnv): SecretStore | undefined {
  const file = secretsFile(cfg.dataDir);
  if (!existsSync(file)) return undefined;
  return SecretStore.open({ file, env });
}

/** The connection options of `role`: credentials, inbox prefix, TLS (NATS_TLS_CA: the CA file; or a tls:// URL). */
export function roleConnection(cfg: Config, role: NatsRole, env: NodeJS.ProcessEnv = process.env): RoleConnection {
  const { url, user, pass } = splitNatsUrl(cfg.natsUrl);
  // Replies come to the role's own inboxes (`_INBOX_<role>.>`, which its user may read); NATS_INBOX_PREFIX for users
  // of your own whose permissions name another prefix.
  const common = {
    servers: url,
    inboxPrefix: env.NATS_INBOX_PREFIX || inboxPrefixOf(role),
    ...(env.NATS_TLS_CA ? { tls: { caFile: env.NATS_TLS_CA } } : /^tls:/i.test(url) ? { tls: {} } : {}),
  };
  if (user !== undefined) return { url, source: "NATS_URL", options: { ...common, user, pass } };
  const password = configuredSecrets(cfg, env)?.getString(natsSecretName(role));
  if (password === undefined) return { url, source: "none", options: common };
  return { url, source: "secrets", options: { ...common, user: role, pass: password } };
}

/** Whether the environment names signing keys (then it is where they come from, not the store). */
const ENV_KEY_SETTINGS = ["TICKFLOW_SIGNING_KEYS_FILE", "TICKFLOW_HMAC_KEY", "TICKFLOW_HMAC_KEY_FILE"] as const;

/**
 * The keys that sign orders, fills and signals: from the environment when it names any (one place, or a clear
 * error), else the secrets store's `signing/<kid>` keys with `signing/current`; undefined when neither has one.
 */
export function configuredKeyring(cfg: Config, env: NodeJS.ProcessEnv = process.env): Keyring | undefined {
  if (ENV_KEY_SETTINGS.some((k) => env[k] !== undefined)) return loadKeyring({ env });
  const store = configuredSecrets(cfg, env);
  return store && loadKeyring({ env: {}, secrets: store });
}

/**
 * A local setup's credentials, generated on first use: every role's NATS password (24 random bytes, base64url) and
 * a signing key (`signing/k1`, 32 random bytes, current) in the secrets store, and the server's include file with the
 * passwords' bcrypt hashes, mode 0600. Returns what it generated (role names, `signing/k1`).
 */
export function prepareLocalAuth(cfg: Config, authConfFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const store = SecretStore.open({ file: secretsFile(cfg.dataDir), env, create: true });
  const generated: string[] = [];
  for (const role of NATS_ROLES) {
    if (store.get(natsSecretName(role)) !== undefined) continue;
    store.set(natsSecretName(role), randomBytes(24).toString("base64url"));
    generated.push(role);
  }
  if (store.get("signing/current") === undefined && !store.names().some((n) => n.startsWith("signing/"))) {
    store.set("signing/k1", randomBytes(32));
    store.set("signing/current", "k1");
    generated.push("signing/k1");
  }
  const tlsCert = env.TICKFLOW_NATS_TLS_CERT;
  const tlsKey = env.TICKFLOW_NATS_TLS_KEY;
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new Error("set both TICKFLOW_NATS_TLS_CERT and TICKFLOW_NATS_TLS_KEY (the server's certificate and its key) to serve TLS, or neither");
  const text = renderServerAuth(
    NATS_ROLES.map((role) => ({ role, bcryptHash: hashPassword(store.getString(natsSecretName(role))!) })),
    tlsCert && tlsKey ? { tls: { certFile: tlsCert, keyFile: tlsKey } } : {},
  );
  mkdirSync(dirname(authConfFile), { recursive: true });
  replacePrivateFile(authConfFile, text);
  return generated;
}
