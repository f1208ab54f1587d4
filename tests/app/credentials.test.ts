// The client side of the NATS roles: where a command's credentials come from, what `tickflow up` writes for the
// server (hashes only, private files), and TLS with a certificate made here (real nats-server).
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { configuredKeyring, natsSecretName, prepareLocalAuth, roleConnection, splitNatsUrl } from "../../app/credentials.ts";
import type { Config } from "../../io/config.ts";
import { NATS_ROLES } from "../../io/nats/auth.ts";
import { ensureStreams } from "../../io/nats/streams.ts";
import { SecretStore, secretsFile } from "../../io/secrets.ts";
import { startSecuredNats } from "../helpers/securedNats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const cfgOf = (dataDir: string, natsUrl = "nats://127.0.0.1:4222"): Config => ({ natsUrl, dbPath: join(dataDir, "x.duckdb"), dataDir, natsUrlFromEnv: true });

describe("NATS credentials of a command", () => {
  it("NATS_URL's user:password wins and is taken out of the address", () => {
    expect(splitNatsUrl("nats://al%40ice:p%3Ass@h:4222")).toEqual({ url: "nats://h:4222", user: "al@ice", pass: "p:ss" });
    const { dir, cleanup } = tempDir();
    try {
      const c = roleConnection(cfgOf(dir, "nats://bob:pw@h:4222"), "pipeline", {});
      expect(c).toMatchObject({
        source: "NATS_URL",
        url: "nats://h:4222",
        options: { servers: "nats://h:4222", user: "bob", pass: "pw", inboxPrefix: "_INBOX_pipeline" },
      });
      expect(roleConnection(cfgOf(dir), "feed", {}).source).toBe("none");
    } finally {
      cleanup();
    }
  });

  it("tickflow up generates every role's password and a signing key once, encrypted; the server file holds bcrypt hashes only, mode 0600", () => {
    const { dir, cleanup } = tempDir();
    try {
      const conf = join(dir, "nats-auth.conf");
      expect(prepareLocalAuth(cfgOf(dir), conf, {})).toEqual([...NATS_ROLES, "signing/k1"]);
      expect(prepareLocalAuth(cfgOf(dir), conf, {})).toEqual([]);
      const store = SecretStore.open({ file: secretsFile(dir), env: {} });
      const text = readFileSync(conf, "utf8");
      for (const role of NATS_ROLES) {
        const password = store.getString(natsSecretName(role))!;
        expect(password.length).toBeGreaterThanOrEqual(32);
        expect(text).not.toContain(password);
        expect(readFileSync(secretsFile(dir), "utf8")).not.toContain(password);
        const hash = new RegExp(`user: "${role}", password: "([^"]+)"`).exec(text)![1]!;
        expect(bcrypt.compareSync(password, hash)).toBe(true);
        const c = roleConnection(cfgOf(dir), role, {});
        expect(c).toMatchObject({ source: "secrets", options: { user: role, pass: password, inboxPrefix: `_INBOX_${role}` } });
      }
      expect(statSync(conf).mode & 0o777).toBe(0o600);
      // The local setup signs out of the box: its key comes from the store unless the environment names one.
      const keyring = configuredKeyring(cfgOf(dir), {})!;
      expect([keyring.currentId, keyring.keys.get("k1")?.length]).toEqual(["k1", 32]);
      expect(configuredKeyring(cfgOf(dir), { TICKFLOW_HMAC_KEY: "env-key-0123456789abcdef" })!.currentId).toBe("default");
      expect(() => prepareLocalAuth(cfgOf(dir), conf, { TICKFLOW_NATS_TLS_CERT: "/x.pem" })).toThrow(/both TICKFLOW_NATS_TLS_CERT and TICKFLOW_NATS_TLS_KEY/);
    } finally {
      cleanup();
    }
  });
});

describe("NATS over TLS (a certificate made by the test, real nats-server)", () => {
  it("connects with the CA in NATS_TLS_CA, and refuses a client that does not trust the certificate", async () => {
    const { dir, cleanup } = tempDir();
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    // biome-ignore format: one openssl call
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    const nats = await startSecuredNats({ tls: { certFile, keyFile } });
    try {
      const url = `nats://feed:${nats.passwords.feed}@127.0.0.1:${nats.server.port}`;
      const admin = await connect({ servers: nats.url, user: "admin", pass: nats.passwords.admin, tls: { caFile: certFile } });
      await ensureStreams(admin);
      const access = roleConnection(cfgOf(dir, url), "feed", { NATS_TLS_CA: certFile });
      const nc = await connect(access.options);
      expect(nc.info?.tls_required).toBe(true);
      await jetstream(nc).publish("md.trades.TLS", "{}", { msgID: "tls-1" });
      await nc.close();
      await admin.close();
      const untrusted = await connect({ ...roleConnection(cfgOf(dir, url), "feed", {}).options, reconnect: false }).then(
        (c) => c.close().then(() => "connected"),
        (e: Error) => e.message,
      );
      expect(untrusted).toMatch(/certificate/i);
    } finally {
      await nats.stop();
      cleanup();
    }
  });
});
