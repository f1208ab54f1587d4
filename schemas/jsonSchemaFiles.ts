// The per-message JSON Schema files under schemas/json/, generated from the declarations so that
// subscribers in any language can validate what they receive. `npm run schemas` rewrites them;
// a test fails when a committed file is out of date.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MESSAGE_TYPES } from "./registry.ts";

export const JSON_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), "json");

export function jsonSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const t of MESSAGE_TYPES) files.set(`${t.type}.v${t.version}.schema.json`, JSON.stringify(t.jsonSchema(), null, 2) + "\n");
  return files;
}

export function writeJsonSchemaFiles(dir = JSON_SCHEMA_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of jsonSchemaFiles()) {
    writeFileSync(join(dir, name), text);
    written.push(name);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of writeJsonSchemaFiles()) console.log(`schemas/json/${f}`);
}
