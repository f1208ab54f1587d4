// The command table of cli/main.ts: lazy loading must not change what a user sees.
import { describe, expect, it } from "vitest";
import { COMMANDS, newProgram } from "../../cli/main.ts";

describe("tickflow command table", () => {
  it("each summary is the command's own description, and each module registers its command", async () => {
    for (const c of COMMANDS) {
      const program = newProgram();
      (await c.load()).register(program);
      const cmd = program.commands.find((x) => x.name() === c.name);
      expect(cmd, `cli/commands for ${c.name}`).toBeDefined();
      expect(cmd!.description(), c.name).toBe(c.summary);
    }
  });
});
