// Parameter specs, overrides and the refusals that come before anything runs: a path that does not exist, a value
// the operator refuses (naming the variant and the path), an empty recording (with the import hint).
import { describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { optimize } from "../../replay/optimize/optimize.ts";
import { gridVariants, parseConstraint, parseParam, randomVariants, withOverride } from "../../replay/optimize/params.ts";
import { recordOrcl, smaDeclaration } from "./fixture.ts";

describe("parameter specs", () => {
  it("parses ranges and lists", () => {
    expect(parseParam("indicators.set.0.period=5..20:5")).toEqual({ path: "indicators.set.0.period", values: [5, 10, 15, 20] });
    expect(parseParam("a.b=0.1..0.3:0.1").values).toEqual([0.1, 0.2, 0.3]);
    expect(parseParam("broker.strategy.sizing.percent=25,50,100").values).toEqual([25, 50, 100]);
    expect(parseParam("broker.strategy.direction=long_only,long_short").values).toEqual(["long_only", "long_short"]);
    expect(() => parseParam("a.b=10..5")).toThrow(/lo <= hi/);
    expect(() => parseParam("nopath")).toThrow(/PATH=SPEC/);
  });

  it("grids (first parameter slowest), constraints and seeded samples", () => {
    const ps = [parseParam("a.x=1,2,3"), parseParam("a.y=2,3")];
    expect(gridVariants(ps)).toEqual([
      [1, 2],
      [1, 3],
      [2, 2],
      [2, 3],
      [3, 2],
      [3, 3],
    ]);
    expect(gridVariants(ps, [parseConstraint("p1 < p2", ps)])).toEqual([
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    expect(gridVariants(ps, [parseConstraint("a.x >= 3", ps)])).toEqual([
      [3, 2],
      [3, 3],
    ]);
    const big = [parseParam("a.x=1..100"), parseParam("a.y=1..100")];
    const s1 = randomVariants(big, 25, 7);
    expect(s1).toHaveLength(25);
    expect(new Set(s1.map(String)).size).toBe(25);
    expect(randomVariants(big, 25, 7)).toEqual(s1);
    expect(randomVariants(big, 25, 8)).not.toEqual(s1);
    expect(() => parseConstraint("p1 < nope", ps)).toThrow(/neither a swept parameter/);
  });

  it("overrides a copy at the path, keeping ids; a path that does not exist is an error naming it", () => {
    const { decl } = smaDeclaration();
    const d = withOverride(decl, "indicators.set.0.period", 7);
    expect((d.nodes.indicators!.params as { set: { id: string; period: number }[] }).set[0]).toEqual({ id: "sma10", name: "sma", period: 7 });
    expect((decl.nodes.indicators!.params as { set: { period: number }[] }).set[0]!.period).toBe(10);
    expect(() => withOverride(decl, "indicators.set.5.period", 7)).toThrow(/indicators.set.5 is no index of a list of 2/);
    expect(() => withOverride(decl, "indicators.set.0.perod", 7)).toThrow(/indicators.set.0.perod does not exist \(keys there: id, name, period\)/);
    expect(() => withOverride(decl, "brokr.strategy.fast", 7)).toThrow(/no node "brokr"/);
  });
});

describe("refusals before anything runs", () => {
  const opts = () => {
    const { decl, source } = smaDeclaration();
    return { decl, source, connectors: CONNECTORS, workers: 0 };
  };

  it("a bad path or a bad value names the variant and the path, and reads nothing", async () => {
    // No recording at all: the refusal must come before the recording is read.
    await withDatabase(async (db) => {
      await expect(optimize({ ...opts(), db, params: [parseParam("indicators.set.0.periods=5,10")] })).rejects.toThrow(
        /--param indicators.set.0.periods: indicators.set.0.periods does not exist/,
      );
      await expect(optimize({ ...opts(), db, params: [parseParam("indicators.set.0.period=5,-3")] })).rejects.toThrow(
        /variant 2 \(indicators.set.0.period=-3\) is refused: .*sma-crossover.yaml:\d+:\d+: at nodes.indicators.params.set.0.period/,
      );
    });
  });

  it("an empty recording is an error with the import hint", async () => {
    await withDatabase(async (db) => {
      await expect(optimize({ ...opts(), db, params: [parseParam("indicators.set.0.period=5,10")] })).rejects.toThrow(
        /nothing to optimise over: .*tickflow import .* --symbol ORCL/,
      );
      await recordOrcl(db);
      const r = await optimize({ ...opts(), db, params: [parseParam("indicators.set.0.period=5,10")] });
      expect(r.runs).toHaveLength(2);
    });
  });
});
