import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemaFiles } from "../../schemas/jsonSchemaFiles.ts";
import { JSON_SCHEMA_DIR } from "../../cli/commands/schemas.ts";
import { SignalMessage } from "../../schemas/index.ts";

describe("JSON Schema files", () => {
  it("are committed for every message type and match the declarations (run `npm run schemas` after a change)", () => {
    const expected = jsonSchemaFiles();
    expect(readdirSync(JSON_SCHEMA_DIR).sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(readFileSync(join(JSON_SCHEMA_DIR, name), "utf8"), name).toBe(text);
  });

  it("describe the wire form a subscriber receives", () => {
    const schema = JSON.parse(readFileSync(join(JSON_SCHEMA_DIR, "signal.v1.schema.json"), "utf8")) as {
      properties: Record<string, { const?: unknown; enum?: unknown[] }>;
      required: string[];
    };
    expect(schema.properties.v!.const).toBe(1);
    expect(schema.properties.action!.enum).toEqual(["buy", "sell", "flat"]);
    const wire = SignalMessage.encode(
      SignalMessage.create({ id: "p:n:AAPL:1", pipeline: "p", symbol: "AAPL", tsEvent: 1n, action: "buy", strength: 1, reason: "r", inputs: {} }),
    );
    for (const k of schema.required) expect(wire).toHaveProperty(k);
  });

  it("keep the envelope's `type` for the message kind: an order's own type is `orderType` (order v2)", () => {
    const schema = JSON.parse(readFileSync(join(JSON_SCHEMA_DIR, "order.v2.schema.json"), "utf8")) as {
      properties: Record<string, { const?: unknown; enum?: unknown[] }>;
    };
    expect(schema.properties.type!.const).toBe("order");
    expect(schema.properties.orderType!.enum).toEqual(["market", "limit", "stop", "stop_limit"]);
    for (const name of readdirSync(JSON_SCHEMA_DIR)) {
      const s = JSON.parse(readFileSync(join(JSON_SCHEMA_DIR, name), "utf8")) as { properties: Record<string, { const?: unknown }> };
      expect(typeof s.properties.type!.const, name).toBe("string");
    }
  });
});
