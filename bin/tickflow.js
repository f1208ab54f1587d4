#!/usr/bin/env node
// The `tickflow` command: runs the compiled JavaScript under dist/ (built by `npm run build`, which `npm ci` runs
// through `prepare`), so a command starts on plain Node.js with no TypeScript loader.
import { existsSync } from "node:fs";
const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("tickflow: dist/ is missing: run `npm run build` (npm ci runs it) in the tickflow folder\n");
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv);
