// `tickflow schemas`: lists the JSON Schema of every message type, or writes them (schemas/json/ by default).
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemaFiles } from "../../schemas/jsonSchemaFiles.ts";
import { REPO_ROOT } from "../context.ts";

export const JSON_SCHEMA_DIR = join(REPO_ROOT, "schemas", "json");

export function register(program: Command): void {
  program
    .command("schemas")
    .description("list the JSON Schema file of every message type (for subscribers in any language); --write writes them")
    .option("--write [dir]", `write the files (default ${JSON_SCHEMA_DIR})`)
    .action((o: { write?: string | boolean }) => {
      const files = jsonSchemaFiles();
      if (!o.write) {
        for (const name of files.keys()) console.log(name);
        return;
      }
      const dir = typeof o.write === "string" ? o.write : JSON_SCHEMA_DIR;
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of files) {
        writeFileSync(join(dir, name), text);
        console.log(join(dir, name));
      }
    });
}
