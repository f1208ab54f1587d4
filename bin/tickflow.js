#!/usr/bin/env node
// The `tickflow` command: runs the compiled JavaScript under dist/ (built by `npm run build`, which `npm ci` runs
// through `prepare`), so a command starts on plain Node.js with no TypeScript loader.
import { existsSync } from "node:fs";

// A reader that went away (`tickflow sql ... | head -1`) is no error worth a stack trace: exit quietly with the
// status of a process killed by SIGPIPE (128 + 13), as `yes | head -1` does. 'exit' handlers still run.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(141);
    throw e;
  });
}

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("tickflow: dist/ is missing: run `npm run build` (npm ci runs it) in the tickflow folder\n");
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv);

// The command has returned, so nothing of it still works: whatever still holds the event loop (a socket, a timer a
// library forgot) must not keep the process alive. Unref'd: a process with nothing left exits at once.
setTimeout(() => {
  if (process.env.TICKFLOW_DEBUG) process.stderr.write(`tickflow: exiting with open handles: ${process.getActiveResourcesInfo().join(", ")}\n`);
  process.exit();
}, 2000).unref();
