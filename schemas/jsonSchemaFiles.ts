// The per-message JSON Schema files under schemas/json/, generated from the declarations so that
// subscribers in any language can validate what they receive. `tickflow schemas --write` (npm run schemas)
// rewrites them; a test fails when a committed file is out of date.
import { MESSAGE_TYPES } from "./kinds.ts";

/** File name → contents of every message type's JSON Schema. */
export function jsonSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const t of MESSAGE_TYPES) files.set(`${t.type}.v${t.version}.schema.json`, JSON.stringify(t.jsonSchema(), null, 2) + "\n");
  return files;
}
