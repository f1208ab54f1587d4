// A feature row: named numbers for one symbol at one event time (bar fields, indicator values,
// joined sentiment, model probabilities). What rules, models and the feature recorder consume.
import { defineMessage, type MessageOf } from "./message.ts";
import { numberRecord, optional, symbol, text, timestampNs } from "./field.ts";

export const FeatureRowMessage = defineMessage({
  type: "features",
  version: 1,
  table: "features",
  description: "Named feature values for one symbol at one event time. Values absent during an indicator's warm-up are omitted.",
  fields: {
    id: text("deterministic id: <symbol>:<timeframe>:<tsEvent>", { min: 1 }),
    symbol: symbol(),
    tsEvent: timestampNs("event time the values are known at (bar end)"),
    timeframe: optional(text("bar timeframe the row was computed on")),
    values: numberRecord("feature name → value"),
    // Added within v1 (optional, last: an older reader ignores it, an older recording gains the column on open).
    model: optional(text("full id of the model that scored this row, when a predict node did (its version number is in values)", { min: 1 })),
  },
});
export type FeatureRow = MessageOf<typeof FeatureRowMessage.fields>;
