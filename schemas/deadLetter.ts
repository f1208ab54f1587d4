// A dead letter: an input a stage could not process, with the reason. Published on dlq.<STAGE>.
import { defineMessage, type MessageOf } from "./message.ts";
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
