#!/usr/bin/env node
// `npm run bench`: runs every compiled bench/*.bench.js module (dist/, see `npm run build`) in one process and
// prints one table.
import { existsSync } from "node:fs";
const main = new URL("../dist/bench/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("bench: dist/ is missing: run `npm run build` first\n");
  process.exit(1);
}
const { main: run } = await import(main.href);
await run(process.argv.slice(2));
