// Test helpers: the ORCL daily fixture as bars, and a relative-tolerance comparison.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Bar } from "../../../operators/indicators/types.ts";

const fixturePath = fileURLToPath(new URL("../../fixtures/daily-orcl-1995.csv", import.meta.url));

/** The 300 ORCL daily bars of tests/fixtures/daily-orcl-1995.csv (see its README). */
export function orclBars(): Bar[] {
  return readFileSync(fixturePath, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const f = line.split(",");
      return { open: Number(f[1]), high: Number(f[2]), low: Number(f[3]), close: Number(f[4]), volume: Number(f[6]) };
    });
}

/** |actual − expected| <= rel · max(|expected|, 1) (absolute near zero, relative elsewhere). */
export function expectClose(actual: number | undefined, expected: number, rel = 1e-9, what = ""): void {
  expect(actual, what).toBeTypeOf("number");
  const tol = rel * Math.max(Math.abs(expected), 1);
  if (!(Math.abs(actual! - expected) <= tol)) {
    expect.fail(`${what}: expected ${expected}, got ${actual} (|diff| ${Math.abs(actual! - expected)} > ${tol})`);
  }
}

/** Runs `next` over inputs and returns the outputs aligned with the inputs (undefined during warm-up). */
export function stream<I, O>(kernel: { next(x: I): O | undefined }, inputs: readonly I[]): (O | undefined)[] {
  return inputs.map((x) => kernel.next(x));
}
