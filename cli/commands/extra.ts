// Commands added by later work (train, models, report, check ...) register here.
import type { Command } from "commander";

export function register(_program: Command): void {}
