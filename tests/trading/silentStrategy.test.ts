// No silent strategy: a rule that could never fire, a misspelt key, or an account setting that would be ignored is
// refused when the pipeline loads, at the line and column of the mistake, naming it as written.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { tempDir } from "../helpers/duckdb.ts";

const SMA = readFileSync(fileURLToPath(new URL("../../pipelines/sma-crossover.yaml", import.meta.url)), "utf8");

async function loadEdited(edit: (yaml: string) => string): Promise<string> {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, "p.yaml");
    const text = edit(SMA);
    expect(text).not.toBe(SMA);
    writeFileSync(file, text);
    await loadPipeline(file);
    return "loaded";
  } catch (e) {
    return (e as Error).message;
  } finally {
    cleanup();
  }
}

describe("a rule operand nothing upstream produces", () => {
  it("is refused at load with the values that are available (sma15 beside sma10/sma30)", async () => {
    const msg = await loadEdited((y) => y.replace("enterLong: { crossAbove: [sma10, sma30] }", "enterLong: { crossAbove: [sma15, sma30] }"));
    expect(msg).toMatch(
      /p\.yaml:\d+:\d+: at nodes\.broker\.params\.strategy\.enterLong\.crossAbove\.0: "sma15" is produced by no upstream node \(indicators\)/,
    );
    expect(msg).toContain("available: close, high, low, open, ret, sma10, sma30, volume, vwap");
  });
  it("also in the short rule (a short-only run would lose without a word), a `when` comparison and the sizing price", async () => {
    expect(await loadEdited((y) => y.replace("enterShort: { crossBelow: [sma10, sma30] }", "enterShort: { crossBelow: [sma50, sma30] }"))).toMatch(
      /enterShort\.crossBelow\.0: "sma50" is produced by no upstream node/,
    );
    expect(await loadEdited((y) => y.replace("enterShort: { crossBelow: [sma10, sma30] }", 'enterShort: { when: "rsi14 < 30" }'))).toMatch(
      /enterShort\.when: "rsi14" is produced by no upstream node/,
    );
    expect(
      await loadEdited((y) =>
        y.replace("sizing: { kind: percent_equity, percent: 50 }", "sizing: { kind: percent_equity, percent: 50 }\n        price: vwap20"),
      ),
    ).toMatch(/strategy\.price: "vwap20" is produced by no upstream node/);
  });
  it("the shipped pipelines load: what they name is produced", async () => {
    expect(await loadEdited((y) => `${y}\n`)).toBe("loaded");
  });
});

describe("a misspelt rule key", () => {
  it("is named as written, with the nearest valid key", async () => {
    expect(await loadEdited((y) => y.replace("enterLong: { crossAbove", "enterLong: { crossAbov"))).toMatch(
      /strategy\.enterLong\.crossAbov: unknown condition "crossAbov" \(did you mean crossAbove\?\)/,
    );
    expect(await loadEdited((y) => y.replace("        enterShort:", "        entrShort:"))).toMatch(
      /strategy\.entrShort: unknown key "entrShort" \(did you mean enterShort\?\)/,
    );
    expect(await loadEdited((y) => y.replace("percent: 50 }", "percnt: 50 }"))).toMatch(
      /strategy\.sizing\.percnt: unknown key "percnt" for sizing kind percent_equity \(did you mean percent\?\)/,
    );
  });
});

describe("account settings", () => {
  it("leverage on a cash account is refused, not ignored", async () => {
    expect(await loadEdited((y) => y.replace("      startingCash: 100000", "      startingCash: 100000\n      accountType: cash\n      leverage: 3"))).toMatch(
      /leverage applies to margin accounts only/,
    );
  });
});
