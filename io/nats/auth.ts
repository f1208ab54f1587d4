// Who may do what on NATS: four roles, each its own user with least privilege, and the server configuration that
// enforces them. Anonymous clients are refused (a top-level `authorization` block with users and no `no_auth_user`;
// no `accounts` block, which is what exposes nats-server < 2.9.23 to CVE-2023-47090). No role but admin may publish
// to `$JS.API.>` beyond the calls it makes, and none ever gets `$JS.>` (GHSA-fhg8-qxh5-7q3w: account purge open to
// anyone allowed `$JS.>`). docs/security.md lists the advisories of Debian's nats-server 2.9.10 and the test that
// closes each.
import bcrypt from "bcryptjs";
import { STREAMS } from "../../schemas/kinds.ts";

export const NATS_ROLES = ["admin", "feed", "pipeline", "reader"] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

/** What a role is for, as `tickflow up` and the docs print it. */
export const ROLE_SUMMARY: Record<NatsRole, string> = {
  admin: "manages streams, consumers and the model bucket (tickflow up, models deploy, verify)",
  feed: "publishes market data and news only (tickflow simulate, tickflow import, your feed handlers)",
  pipeline: "consumes its own durable consumers; publishes signals, orders, fills and dead letters (tickflow run)",
  reader: "subscribes to signals, orders and fills; publishes nothing (your services)",
};

/** The KV bucket of cluster job occurrences (app/jobLock.ts); its stream is KV_<bucket>. */
export const JOBS_BUCKET = "tickflow_jobs";

/** The KV bucket model deployments live in (app/modelDeployment.ts); its stream is KV_<bucket>. */
export const MODEL_BUCKET = "tickflow_models";

/** The subject prefix of a role's reply inboxes: `_INBOX_<role>`, so no role reads another's replies. */
export function inboxPrefixOf(role: NatsRole): string {
  return `_INBOX_${role}`;
}

interface Permissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
}

const streamOf = (subjectPrefix: string): string => STREAMS.find((s) => s.subjects.some((p) => p === `${subjectPrefix}.>`))!.name;

/** What no role but admin may ever publish to, listed beside the allow lists so that widening one cannot open it. */
const NEVER = [
  "$JS.API.STREAM.CREATE.>",
  "$JS.API.STREAM.UPDATE.>",
  "$JS.API.STREAM.DELETE.>",
  "$JS.API.STREAM.PURGE.>",
  "$JS.API.STREAM.MSG.DELETE.>",
  "$JS.API.STREAM.RESTORE.>",
  "$JS.API.STREAM.SNAPSHOT.>",
  "$JS.API.ACCOUNT.>",
  "$JS.API.SERVER.>",
  "$JS.API.META.>",
  "$SYS.>",
];

/** The consumer API calls of a pull consumer on `stream` (create, info, delete, next) and its acks. */
function consumerCalls(stream: string): string[] {
  return [
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.ACK.${stream}.>`,
  ];
}

/** The NATS permissions of a role. */
export function rolePermissions(role: NatsRole): Permissions {
  const inbox = `${inboxPrefixOf(role)}.>`;
  const market = streamOf("md");
  const news = streamOf("news");
  const kv = `KV_${MODEL_BUCKET}`;
  switch (role) {
    case "admin":
      return { publish: { allow: [">"] }, subscribe: { allow: [">"] } };
    case "feed":
      return {
        publish: { allow: ["md.>", "news.>", "dlq.import", "$JS.API.INFO", `$JS.API.STREAM.INFO.${market}`, `$JS.API.STREAM.INFO.${news}`], deny: NEVER },
        subscribe: { allow: [inbox] },
      };
    case "pipeline":
      return {
        publish: {
          allow: [
            "signals.>",
            "orders.>",
            "fills.>",
            "dlq.>",
            // The outcome of each model deployment, for `tickflow models deploy` (core NATS, not stored).
            "models.verdicts.>",
            "$JS.API.INFO",
            ...consumerCalls(market),
            ...consumerCalls(news),
            // Watching and reading the model bucket (an ordered push consumer with flow control), never writing it.
            `$JS.API.STREAM.INFO.${kv}`,
            `$JS.API.CONSUMER.CREATE.${kv}.>`,
            `$JS.API.CONSUMER.DELETE.${kv}.*`,
            `$JS.API.DIRECT.GET.${kv}.>`,
            `$JS.API.STREAM.MSG.GET.${kv}`,
            "$JS.FC.>",
            // Taking and reading cluster job occurrences (app/jobLock.ts): create = a publish on the key.
            `$JS.API.STREAM.INFO.KV_${JOBS_BUCKET}`,
            `$KV.${JOBS_BUCKET}.>`,
            `$JS.API.DIRECT.GET.KV_${JOBS_BUCKET}.>`,
            `$JS.API.STREAM.MSG.GET.KV_${JOBS_BUCKET}`,
            `$JS.API.STREAM.INFO.${streamOf("signals")}`,
            `$JS.API.STREAM.INFO.${streamOf("orders")}`,
            `$JS.API.STREAM.INFO.${streamOf("dlq")}`,
          ],
          deny: NEVER,
        },
        subscribe: { allow: [inbox] },
      };
    case "reader":
      return { publish: { allow: [], deny: [">"] }, subscribe: { allow: ["signals.>", "orders.>", "fills.>"] } };
  }
}

/** A user of the server configuration: its role and the password's bcrypt hash (never the password). */
export interface ServerUser {
  readonly role: NatsRole;
  readonly bcryptHash: string;
}

/** bcrypt of a password, as nats-server checks it (cost 11). */
export function hashPassword(password: string): string {
  return bcrypt.hashSync(password, 11);
}

const quote = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(quote).join(", ")}]`;

/**
 * The `authorization` block (and an optional `tls` block) of a server configuration: one user per role with its
 * permissions, passwords as bcrypt hashes. nats.conf includes the file `tickflow up` writes from this.
 */
export function renderServerAuth(users: readonly ServerUser[], o: { tls?: { certFile: string; keyFile: string } } = {}): string {
  const lines = [
    "# Written by tickflow up: one user per role, bcrypt hashes only. Do not edit; it is rewritten at each start.",
    "authorization {",
    "  users: [",
  ];
  for (const u of users) {
    const p = rolePermissions(u.role);
    const side = (x: Permissions["publish"]): string => `{ allow: ${list(x.allow)}${x.deny ? `, deny: ${list(x.deny)}` : ""} }`;
    lines.push(
      `    { user: ${quote(u.role)}, password: ${quote(u.bcryptHash)}, permissions: { publish: ${side(p.publish)}, subscribe: ${side(p.subscribe)} } }`,
    );
  }
  lines.push("  ]", "}");
  if (o.tls) lines.push(`tls {`, `  cert_file: ${quote(o.tls.certFile)}`, `  key_file: ${quote(o.tls.keyFile)}`, `}`);
  return `${lines.join("\n")}\n`;
}
