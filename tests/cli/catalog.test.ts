// `tickflow catalog`: the overview names every entry with its params; a name shows that entry in full.
import { describe, expect, it } from "vitest";
import { catalogText, entryText } from "../../cli/commands/catalog.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { OPERATORS } from "../../pipeline/catalog.ts";

describe("tickflow catalog", () => {
  it("lists every operator, connector and sink type, each with its parameters", () => {
    const text = catalogText();
    for (const o of OPERATORS) expect(text).toContain(`\n  ${o.name} (`);
    for (const s of CONNECTORS.sources) expect(text).toContain(`\n  ${s.connector} (`);
    for (const s of CONNECTORS.sinks) expect(text).toContain(`\n  ${s.type} (`);
    expect(text).toContain("    timeframe: timeframe\n");
    expect(text).toContain("    halfLife?: duration\n");
    expect(text).toContain("    maxStaleness: duration = 4h\n");
  });

  it("shows one entry in full: fields, defaults, descriptions and the example", () => {
    const text = entryText("resample");
    expect(text).toMatch(/^operator resample\n/);
    expect(text).toContain("  session.timezone: string (required)\n      IANA zone");
    expect(text).toContain("  allowedLateness: duration (default 0s)\n");
    expect(text).toContain("example: { op: resample,");
    expect(entryText("rsi")).toContain("indicator rsi");
    expect(entryText("console")).toContain("sink type console");
  });

  it("says which names exist when the name is unknown", () => {
    expect(() => entryText("bars2")).toThrow(/no operator, source connector, sink type or indicator named "bars2"; known: bars, /);
  });
});
