// Secrets never reach the audit trail or a log line: URL passwords and the values of secret-named keys are masked.
import { describe, expect, test } from "vitest";
import { isSecretKey, redactSecrets, redactUrl } from "../../core/redact.ts";

describe("redactUrl", () => {
  test("masks the password, keeps the user", () => {
    expect(redactUrl("nats://alice:s3cr%40t@nats.local:4222")).toBe("nats://alice:***@nats.local:4222");
    expect(redactUrl("tls://u:p@h")).toBe("tls://u:***@h");
  });
  test("masks a token alone (NATS token auth)", () => {
    expect(redactUrl("nats://T0KEN@h:4222")).toBe("nats://***@h:4222");
  });
  test("masks every URL inside a text, leaves URLs without credentials alone", () => {
    expect(redactUrl("cannot connect to nats://a:b@h1:4222,nats://c:d@h2:4222: timeout")).toBe(
      "cannot connect to nats://a:***@h1:4222,nats://c:***@h2:4222: timeout",
    );
    expect(redactUrl("nats://127.0.0.1:4222")).toBe("nats://127.0.0.1:4222");
    expect(redactUrl("mail alice@example.com")).toBe("mail alice@example.com");
  });
});

describe("redactSecrets", () => {
  test("secret-named keys at any depth, case-insensitive, whole key or one of its words", () => {
    for (const k of ["password", "PASS", "token", "Secret", "key", "Authorization", "hmac", "natsPassword", "api_key", "X-Auth-Token", "hmacSecret"])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ["pipeline", "keys", "monkey", "passive", "tokens_per_s", "dbPath"]) expect(isSecretKey(k), k).toBe(false);
  });
  test("masks values of secret keys and URL credentials in strings; the input is not changed", () => {
    const input = { natsUrl: "nats://u:pw@h:4222", options: { consumer: "c", auth: { token: "t", user: "u" } }, list: [{ password: "p" }, 12n], hmac: null };
    expect(redactSecrets(input)).toEqual({
      natsUrl: "nats://u:***@h:4222",
      options: { consumer: "c", auth: { token: "***", user: "u" } },
      list: [{ password: "***" }, 12n],
      hmac: null,
    });
    expect(input.options.auth.token).toBe("t");
  });
  test("a secret key holding an object is masked whole", () => {
    expect(redactSecrets({ secret: { a: 1 } })).toEqual({ secret: "***" });
  });
});
