// A dead letter always fits the server: long payloads are cut on a character boundary, with the original's size
// and SHA-256, so the original can still be found and matched.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { boundDeadLetter, DeadLetterMessage, MAX_DEAD_LETTER_PAYLOAD, type DeadLetter } from "../../schemas/deadLetter.ts";

const letter = (payload: string): DeadLetter => ({ stage: "decode", subject: "news.wire", ref: "news.wire #1", reason: "bad", payload });

describe("boundDeadLetter", () => {
  it("leaves a small letter as it is", () => {
    const l = letter("{}");
    expect(boundDeadLetter(l)).toBe(l);
  });

  it("cuts a large payload to the bound, on a character boundary, with size and sha256", () => {
    const original = "é".repeat(200_000); // 2 bytes each
    const b = boundDeadLetter(letter(original));
    const bytes = new TextEncoder().encode(b.payload);
    expect(bytes.length).toBeLessThanOrEqual(MAX_DEAD_LETTER_PAYLOAD);
    expect(bytes.length).toBeGreaterThan(MAX_DEAD_LETTER_PAYLOAD - 200);
    expect(b.payload).not.toContain("\uFFFD");
    const sha = createHash("sha256").update(new TextEncoder().encode(original)).digest("hex");
    expect(b.payload.endsWith(`…[truncated: 400000 bytes, sha256 ${sha}]`)).toBe(true);
    expect(original.startsWith(b.payload.slice(0, b.payload.indexOf("…[truncated")))).toBe(true);
    // The wire form stays far below a 1 MiB max_payload.
    expect(DeadLetterMessage.encodeBytes(b).length).toBeLessThan(MAX_DEAD_LETTER_PAYLOAD + 2048);
  });

  it("cuts an overlong reason", () => {
    expect(boundDeadLetter({ ...letter("{}"), reason: "r".repeat(10_000) }).reason).toHaveLength(4097);
  });
});
