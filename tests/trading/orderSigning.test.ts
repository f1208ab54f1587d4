// HMAC-SHA256 order signatures: a known test vector (reproducible with any HMAC library), key configuration
// errors, and which kinds are signed.
import { describe, expect, it } from "vitest";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/duckdb.ts";
import { SigningKeyError, signPayload, signatureHeaders, signingKeyFromEnv, verifyOrderSignature } from "../../sinks/orderSigning.ts";

describe("order signatures", () => {
  it("is plain HMAC-SHA256 over the payload bytes, lowercase hex (RFC 2104 example)", () => {
    // python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"The quick brown fox jumps over the lazy dog",hashlib.sha256).hexdigest())'
    const sig = signPayload("The quick brown fox jumps over the lazy dog", "key");
    expect(sig).toBe("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    expect(verifyOrderSignature(new TextEncoder().encode("The quick brown fox jumps over the lazy dog"), sig, "key")).toBe(true);
    expect(verifyOrderSignature("The quick brown fox jumps over the lazy cog", sig, "key")).toBe(false);
    expect(verifyOrderSignature("x", "not-hex", "key")).toBe(false);
  });

  it("signs orders, fills and order events, and nothing else; refuses to publish orders unsigned", () => {
    const env = { TICKFLOW_HMAC_KEY: "0123456789abcdef-key" };
    const data = new TextEncoder().encode('{"v":1,"type":"fill"}');
    expect(signatureHeaders("fill", data, env)).toEqual({ "Tickflow-Signature": signPayload(data, env.TICKFLOW_HMAC_KEY) });
    expect(Object.keys(signatureHeaders("order", data, env))).toEqual(["Tickflow-Signature"]);
    expect(Object.keys(signatureHeaders("orderEvent", data, env))).toEqual(["Tickflow-Signature"]);
    expect(signatureHeaders("signal", data, env)).toEqual({});
    expect(() => signatureHeaders("order", data, {})).toThrow(/cannot publish order messages unsigned: set TICKFLOW_HMAC_KEY/);
    expect(signatureHeaders("signal", data, {})).toEqual({});
  });

  it("reads the key from a file (one trailing newline stripped) and rejects contradictory or weak settings", () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "hmac.key");
      writeFileSync(file, "file-key-0123456789abcdef\n", { mode: 0o644 });
      chmodSync(file, 0o644);
      expect(() => signingKeyFromEnv({ TICKFLOW_HMAC_KEY_FILE: file })).toThrow(
        `TICKFLOW_HMAC_KEY_FILE=${file} is readable by others (mode 644); make it private: chmod 600 ${file}`,
      );
      chmodSync(file, 0o640);
      expect(() => signingKeyFromEnv({ TICKFLOW_HMAC_KEY_FILE: file })).toThrow(/mode 640/);
      chmodSync(file, 0o600);
      expect(signingKeyFromEnv({ TICKFLOW_HMAC_KEY_FILE: file })!.toString()).toBe("file-key-0123456789abcdef");
      expect(() => signingKeyFromEnv({ TICKFLOW_HMAC_KEY: "a-key-of-enough-length", TICKFLOW_HMAC_KEY_FILE: file })).toThrow(SigningKeyError);
      expect(() => signingKeyFromEnv({ TICKFLOW_HMAC_KEY: "short" })).toThrow(/at least 16/);
      expect(() => signingKeyFromEnv({ TICKFLOW_HMAC_KEY_FILE: join(dir, "missing") })).toThrow(/ENOENT/);
      expect(signingKeyFromEnv({})).toBeUndefined();
    } finally {
      cleanup();
    }
  });
});
