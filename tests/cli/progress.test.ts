// Progress without a terminal: a line per tenth crossed, each with its exact percentage.
import { describe, expect, it } from "vitest";
import { progressLines } from "../../cli/progress.ts";

describe("progress lines (stderr not a terminal)", () => {
  it("prints the exact percentage: 2/6 is 33 %, not 30 %", () => {
    const lines: string[] = [];
    const p = progressLines("lookahead", 6, "replays", (l) => lines.push(l));
    for (let i = 1; i <= 6; i++) p.update(i);
    expect(lines).toEqual([
      "lookahead: 1/6 replays (16%)",
      "lookahead: 2/6 replays (33%)",
      "lookahead: 3/6 replays (50%)",
      "lookahead: 4/6 replays (66%)",
      "lookahead: 5/6 replays (83%)",
      "lookahead: 6/6 replays (100%)",
    ]);
  });

  it("prints at most one line per tenth on long work", () => {
    const lines: string[] = [];
    const p = progressLines("import", 1000, "rows", (l) => lines.push(l));
    for (let i = 0; i <= 1000; i++) p.update(i);
    expect(lines).toHaveLength(11);
    expect(lines[3]).toBe("import: 300/1000 rows (30%)");
  });
});
