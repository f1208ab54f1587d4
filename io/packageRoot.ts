// Where the tickflow package is installed: the folder of its package.json. Code runs both from the sources
// (tests) and compiled under dist/, so paths to shipped files (pipelines, nats.conf, the dashboard) start here.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "tickflow") return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find tickflow's package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
