// docs/reference.md is generated from the specs (app/reference.ts): it must be current, name every operator,
// connector, sink type and indicator, and every parameter of an operator or connector must say what it is for.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONNECTORS } from "../../app/connectors.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { flattenParams, paramDocs } from "../../app/paramDocs.ts";
import { catalogEntries, conditionForms, EXAMPLE_PIPELINE, referenceMarkdown } from "../../app/reference.ts";
import { OPERATORS } from "../../pipeline/catalog.ts";
import { NodeDeclSchema, PipelineDeclSchema, SinkDeclSchema, SourceDeclSchema } from "../../pipeline/declaration.ts";
import { indicatorRegistry } from "../../operators/indicators/registry.ts";

const DOC = resolve(import.meta.dirname, "../../docs/reference.md");

describe("docs/reference.md", () => {
  const markdown = referenceMarkdown();

  it("is what referenceMarkdown() renders from the specs", () => {
    const onDisk = existsSync(DOC) ? readFileSync(DOC, "utf8") : "(missing)";
    expect(onDisk, "docs/reference.md is out of date with the specs: run `npm run reference`").toBe(markdown);
  });

  it("has a section for every operator, source connector and sink type", () => {
    for (const o of OPERATORS) expect(markdown, `operator ${o.name}`).toContain(`\n### ${o.name}\n`);
    for (const s of CONNECTORS.sources) expect(markdown, `source connector ${s.connector}`).toContain(`\n### ${s.connector}\n`);
    for (const s of CONNECTORS.sinks) expect(markdown, `sink type ${s.type}`).toContain(`\n### ${s.type}\n`);
    const c = catalogEntries();
    expect(c.operators.map((o) => o.name)).toEqual(OPERATORS.map((o) => o.name));
    expect(c.sources.map((s) => s.connector)).toEqual(CONNECTORS.sources.map((s) => s.connector));
    expect(c.sinks.map((s) => s.type)).toEqual(CONNECTORS.sinks.map((s) => s.type));
  });

  it("lists every indicator and every rule condition", () => {
    for (const name of Object.keys(indicatorRegistry)) expect(markdown, `indicator ${name}`).toContain(`| \`${name}\` |`);
    const forms = conditionForms();
    expect(forms.map((f) => /^\{ (\w+)/.exec(f.form)?.[1])).toEqual(["crossAbove", "crossBelow", "above", "below", "when", "probability", "all", "any", "not"]);
    for (const f of forms) expect(f.description, f.form).not.toBe("");
  });

  it("gives every operator parameter (and every field inside one) a description", () => {
    const missing = catalogEntries().operators.flatMap((o) =>
      flattenParams(o.params)
        .filter((p) => p.description.trim() === "")
        .map((p) => `${o.name}.${p.name}`),
    );
    expect(missing, 'add .describe("...") to these params in pipeline/catalog/').toEqual([]);
  });

  it("gives every parameter of every source connector and sink type a description", () => {
    const c = catalogEntries();
    const missing = [
      ...c.sources.flatMap((s) =>
        flattenParams(s.params)
          .filter((p) => p.description.trim() === "")
          .map((p) => `source ${s.connector}: ${p.name}`),
      ),
      ...c.sinks.flatMap((s) =>
        flattenParams(s.params)
          .filter((p) => p.description.trim() === "")
          .map((p) => `sink ${s.type}: ${p.name}`),
      ),
    ];
    expect(missing, 'add .describe("...") to these params in the connector\'s spec').toEqual([]);
  });

  it("gives every key of the pipeline file a description", () => {
    const missing = [PipelineDeclSchema, SourceDeclSchema, NodeDeclSchema, SinkDeclSchema].flatMap((s) =>
      flattenParams(paramDocs(s))
        .filter((p) => p.description.trim() === "")
        .map((p) => p.name),
    );
    expect(missing, 'add .describe("...") to these keys in pipeline/declaration.ts').toEqual([]);
  });

  it("shows params with their types, defaults and required flags from the schema", () => {
    const windowStats = catalogEntries().operators.find((o) => o.name === "windowStats")!;
    const rows = Object.fromEntries(flattenParams(windowStats.params).map((p) => [`${p.name}${p.when ? ` (${p.when})` : ""}`, p]));
    expect(rows["window"]).toMatchObject({ required: true, type: "{ type: tumbling, size } | { type: sliding, size, slide } | { type: session, gap }" });
    expect(rows["window.slide (type: sliding)"]).toMatchObject({ type: "duration", required: true });
    expect(rows["allowedLateness"]).toMatchObject({ type: "duration", default: "0s", required: false });
    expect(rows["prefix"]).toMatchObject({ default: '""' });
    const momentum = catalogEntries().operators.find((o) => o.name === "momentumRule")!;
    expect(momentum.params.find((p) => p.name === "overbought")).toMatchObject({ type: "number in [0, 100]", default: "70" });
    expect(momentum.params.find((p) => p.name === "emit")).toMatchObject({ type: "change | every", default: "change" });
  });

  it("has an introduction example that compiles, and operator examples whose params validate", () => {
    expect(markdown).toContain(EXAMPLE_PIPELINE.trimEnd());
    const compiled = parsePipeline(EXAMPLE_PIPELINE, "docs/reference.md");
    expect(compiled.nodes.map((n) => n.name)).toContain("signals");
    for (const o of OPERATORS) {
      const example = parse(o.example) as { op: string; params?: unknown };
      expect(example.op, o.name).toBe(o.name);
      const r = o.params.safeParse(example.params ?? {});
      expect(r.success, `${o.name} example: ${r.success ? "" : r.error.message}`).toBe(true);
    }
  });
});
