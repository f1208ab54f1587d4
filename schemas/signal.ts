// A trading signal: the output of a rule, published on signals.<SYMBOL>.
import { defineMessage, type MessageOf } from "./message.ts";
import { number, oneOf, optional, scalarRecord, symbol, text, timestampNs } from "./field.ts";

export const SignalMessage = defineMessage({
  type: "signal",
  version: 1,
  table: "signals",
  description: "A trading signal. Subject signals.<SYMBOL>. `id` is derived from the inputs, so a replay gives the same ids.",
  fields: {
    id: text("deterministic id: <pipeline>:<node>:<symbol>:<tsEvent>", { min: 1 }),
    pipeline: text("pipeline that emitted the signal", { min: 1 }),
    symbol: symbol(),
    tsEvent: timestampNs("event time of the input that produced the signal"),
    action: oneOf(
      ["buy", "sell", "flat"],
      "the position the rule recommends: buy = be long, sell = be short (a long-only broker: hold nothing), flat = hold no position (close any); with `emit: change` a rule sends it only when it changes",
    ),
    strength: number("confidence in [0, 1]", { min: 0, max: 1 }),
    reason: text("human-readable reason", { min: 1 }),
    inputs: scalarRecord("the input values the rule saw"),
    modelVersion: optional(text("model version that produced the signal, when a model did")),
  },
});
export type Signal = MessageOf<typeof SignalMessage.fields>;
