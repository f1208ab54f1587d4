#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts module in one process and prints one table.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../bench/main.ts");
await main(process.argv.slice(2));
