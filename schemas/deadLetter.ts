// A dead letter: an input a stage could not process, with the reason. Published on dlq.<STAGE>.
import { defineMessage, type MessageOf } from "./message.ts";
import { createHash } from "node:crypto";
import { optional, text, timestampNs } from "./field.ts";

export const DeadLetterMessage = defineMessage({
  type: "dead_letter",
  version: 1,
  table: "dead_letters",
  description: "An input that a stage rejected. Subject dlq.<STAGE>; the reason is also in the Tickflow-Reason header.",
  fields: {
    stage: text("stage that rejected it, e.g. decode, bars, import", { min: 1 }),
    subject: text("subject or file the input came from"),
    ref: text("where exactly: stream sequence, file:line"),
    reason: text("why it was rejected, naming the field"),
    field: optional(text("offending field, when one")),
    payload: text("the original payload, as text"),
    tsObserved: optional(timestampNs("when it was rejected (wall clock of the process; not used by any operator)")),
  },
});
export type DeadLetter = MessageOf<typeof DeadLetterMessage.fields>;

/** The largest payload a dead letter carries (bytes of UTF-8): the letter must always fit the server's max_payload. */
export const MAX_DEAD_LETTER_PAYLOAD = 64 * 1024;

/**
 * The letter with its payload cut to `maxBytes` of UTF-8 when longer, ending with a marker that gives the original
 * size and SHA-256 (so the original can still be found and matched), and its reason cut to 4 KiB.
 *
 * @example boundDeadLetter({ ...letter, payload: "x".repeat(2_000_000) }).payload // "xxx…[truncated: 2000000 bytes, sha256 …]"
 */
export function boundDeadLetter(letter: DeadLetter, maxBytes = MAX_DEAD_LETTER_PAYLOAD): DeadLetter {
  const reason = letter.reason.length > 4096 ? `${letter.reason.slice(0, 4096)}…` : letter.reason;
  const bytes = encoder.encode(letter.payload);
  if (bytes.length <= maxBytes && reason === letter.reason) return letter;
  if (bytes.length <= maxBytes) return { ...letter, reason };
  const marker = `…[truncated: ${bytes.length} bytes, sha256 ${createHash("sha256").update(bytes).digest("hex")}]`;
  // Cut on a character boundary: decoding a cut in the middle of a sequence would end in U+FFFD.
  let end = maxBytes - encoder.encode(marker).length;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { ...letter, reason, payload: decoder.decode(bytes.subarray(0, end)) + marker };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
