// Pipeline declarations: every load error names the file, the line:col and the path, and says what was expected.
import { describe, expect, it } from "vitest";
import { PipelineDeclarationError } from "../../pipeline/declaration.ts";
import { loadPipeline, parsePipeline } from "../../app/loadPipeline.ts";

/** The error parsePipeline throws for `text` (fails the test when it loads). */
function loadError(text: string, file = "p.yaml"): PipelineDeclarationError {
  try {
    parsePipeline(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineDeclarationError);
    return e as PipelineDeclarationError;
  }
  throw new Error("the declaration loaded, expected an error");
}

// Lines 1-5 of every inline declaration; nodes start on line 6.
const HEAD = `name: p
sources:
  trades: { type: trade }
  news: { type: news }
nodes:
`;
const BARS = `  bars:
    op: bars
    in: trades
    params: { timeframe: 1m }
`; // lines 6-9

describe("parsePipeline errors", () => {
  it("reports invalid YAML with the line of the syntax error", () => {
    const e = loadError("name: p\nsources:\n  trades: { type: trade\nnodes: {}\n");
    expect(e.message).toMatch(/^p\.yaml:\d+:\d+: at \(top level\): not valid YAML\/JSON: /);
    expect(e.line).toBeGreaterThanOrEqual(3);
  });

  it("reports duplicate keys as invalid YAML", () => {
    expect(loadError("name: p\nname: q\nsources: {}\nnodes: {}\n").message).toMatch(/^p\.yaml:2:1: .*Map keys must be unique/);
  });

  it("reports an unknown top-level key at its line, even when it is a misspelt required key", () => {
    const typo = loadError("name: p\nsorces:\n  trades: { type: trade }\nnodes: {}\n");
    expect(typo.message).toBe('p.yaml:2:1: at sorces: unknown key "sorces"');
    expect(typo.path).toEqual(["sorces"]);
    const extra = loadError(`${HEAD}${BARS}sink: []\n`);
    expect(extra.message).toBe('p.yaml:10:1: at sink: unknown key "sink"');
  });

  it("reports an unknown key inside a node at its line", () => {
    const e = loadError(`${HEAD}  bars:\n    op: bars\n    in: trades\n    parms: { timeframe: 1m }\n`);
    expect(e.message).toBe('p.yaml:9:5: at nodes.bars.parms: unknown key "parms"');
  });

  it("reports a bad source type with the allowed ones", () => {
    expect(loadError("name: p\nsources:\n  t: { type: trades }\nnodes: {}\n").message).toBe(
      'p.yaml:3:14: at sources.t.type: Invalid option: expected one of "trade"|"bar"|"news"',
    );
  });

  it("reports a bad sequencing duration", () => {
    expect(loadError("name: p\nsources:\n  t: { type: trade }\nsequencing: { maxDelay: 5s5 }\nnodes: {}\n").message).toMatch(
      /^p\.yaml:4:25: at sequencing\.maxDelay: must be a duration like 500ms/,
    );
  });

  it("reports a maxAhead that is no duration, or zero", () => {
    expect(loadError("name: p\nsources:\n  t: { type: trade }\nsequencing: { maxAhead: soon }\nnodes: {}\n").message).toMatch(
      /^p\.yaml:4:25: at sequencing\.maxAhead: must be a duration like 500ms/,
    );
    expect(loadError("name: p\nsources:\n  t: { type: trade }\nsequencing: { maxAhead: 0s }\nnodes: {}\n").message).toBe(
      "p.yaml:4:25: at sequencing.maxAhead: must be more than 0: with 0 an input dated a nanosecond after the wall clock is dead-lettered",
    );
  });

  it("reports an unknown operator and lists the known ones", () => {
    const e = loadError(`${HEAD}  bars:\n    op: barz\n    in: trades\n`);
    expect(e.message).toMatch(
      /^p\.yaml:7:9: at nodes\.bars\.op: unknown operator "barz"; known operators: bars, indicators, scoreSentiment, sentimentAsOf, momentumRule\b/,
    );
    expect(e.path).toEqual(["nodes", "bars", "op"]);
    expect([e.file, e.line, e.col]).toEqual(["p.yaml", 7, 9]);
  });

  it("reports a bad operator parameter with its path, the expectation and the operator's example", () => {
    const e = loadError(`${HEAD}  bars:\n    op: bars\n    in: trades\n    params: { timeframe: 7x }\n`);
    expect(e.message).toBe(
      "p.yaml:9:26: at nodes.bars.params.timeframe: must be a timeframe like 15s, 1m, 5m, 1h or 1d (operator bars; example: { op: bars, in: trades, params: { timeframe: 1m } })",
    );
  });

  it("reports a misspelt parameter as an unknown key, not as the missing one", () => {
    const e = loadError(`${HEAD}  bars:\n    op: bars\n    in: trades\n    params: { timefrme: 1m }\n`);
    expect(e.message).toMatch(/^p\.yaml:9:15: at nodes\.bars\.params\.timefrme: unknown key "timefrme" \(operator bars; example: /);
  });

  it("reports a cross-parameter rule at the parameter it names", () => {
    const e = loadError(`${HEAD}  rule:\n    op: momentumRule\n    in: trades\n    params:\n      overbought: 70\n      oversold: 80\n`);
    expect(e.message).toMatch(/^p\.yaml:11:17: at nodes\.rule\.params\.oversold: oversold must be below overbought \(operator momentumRule; example: /);
  });

  it("reports the wrong number of inputs", () => {
    const e = loadError(`${HEAD}  s:\n    op: scoreSentiment\n    in: news\n  j:\n    op: sentimentAsOf\n    in: s\n`);
    expect(e.message).toBe("p.yaml:11:9: at nodes.j.in: operator sentimentAsOf takes 2 input(s) (rows: features, sentiment: scoredNews), got 1");
  });

  it("reports an unknown input name and lists each source and node once", () => {
    expect(loadError(`${HEAD}  bars:\n    op: bars\n    in: tradez\n    params: { timeframe: 1m }\n`).message).toBe(
      'p.yaml:8:9: at nodes.bars.in: unknown input "tradez"; sources and nodes are: trades, news, bars',
    );
    // An input of a list: the path ends with the index; "s" (already compiled) is listed once.
    const e = loadError(`${HEAD}  s:\n    op: scoreSentiment\n    in: news\n  j:\n    op: sentimentAsOf\n    in: [q, s]\n`);
    expect(e.message).toBe('p.yaml:11:10: at nodes.j.in.0: unknown input "q"; sources and nodes are: trades, news, s, j');
  });

  it("reports an input of the wrong kind", () => {
    const e = loadError(`${HEAD}  ind:\n    op: indicators\n    in: trades\n    params: { set: [{ id: e, name: ema, period: 3 }] }\n`);
    expect(e.message).toBe('p.yaml:8:9: at nodes.ind.in: operator indicators expects bar items as input 1 (bars), but "trades" gives trade items');
    const second = loadError(
      `${HEAD}${BARS}  ind:\n    op: indicators\n    in: bars\n    params: { set: [{ id: e, name: ema, period: 3 }] }\n  j:\n    op: sentimentAsOf\n    in: [ind, news]\n`,
    );
    expect(second.message).toBe(
      'p.yaml:16:15: at nodes.j.in.1: operator sentimentAsOf expects scoredNews items as input 2 (sentiment), but "news" gives news items',
    );
  });

  it("reports a cycle with its trail", () => {
    const text = `name: p
sources:
  b1: { type: bar }
nodes:
  a:
    op: resample
    in: b
    params: { timeframe: 5m }
  b:
    op: resample
    in: a
    params: { timeframe: 1h }
`;
    expect(loadError(text).message).toBe("p.yaml:7:9: at nodes.a.in: cycle: a → b → a");
    expect(loadError(`${HEAD}  s:\n    op: scoreSentiment\n    in: s\n`).message).toBe("p.yaml:8:9: at nodes.s.in: cycle: s → s");
  });

  it("reports a node that reuses a source's name", () => {
    expect(loadError(`${HEAD}  news:\n    op: scoreSentiment\n    in: news\n`).message).toBe(
      'p.yaml:6:3: at nodes.news: "news" is already the name of a source',
    );
  });

  const indicators = (entries: string): string => `${HEAD}${BARS}  ind:\n    op: indicators\n    in: bars\n    params:\n      set:\n${entries}`; // entries from line 15

  it("reports an unknown indicator name and lists the registry", () => {
    const e = loadError(indicators("        - { id: e, name: ema, period: 3 }\n        - { id: x, name: emax, period: 3 }\n"));
    expect(e.message).toMatch(/^p\.yaml:16:26: at nodes\.ind\.params\.set\.1\.name: unknown indicator "emax"; known indicators: .*\bema\b.*\brsi\b/);
  });

  it("reports a bad indicator parameter at its path", () => {
    const e = loadError(indicators("        - { id: e, name: ema, period: 3 }\n        - { id: x, name: ema, period: -3 }\n"));
    expect(e.message).toMatch(/^p\.yaml:16:39: at nodes\.ind\.params\.set\.1\.period: indicator ema: /);
    expect(e.path).toEqual(["nodes", "ind", "params", "set", 1, "period"]);
  });

  it("reports an indicator entry without a name", () => {
    expect(loadError(indicators("        - { id: e, period: 3 }\n")).message).toMatch(/^p\.yaml:15:11: at nodes\.ind\.params\.set\.0\.name: /);
  });

  it("rejects a nats sink on a kind that has no subject, and a sink on an unknown input", () => {
    const e = loadError(`${indicators("        - { id: e, name: ema, period: 3 }\n")}sinks:\n  - { type: duckdb, in: ind }\n  - { type: nats, in: ind }\n`);
    expect(e.message).toMatch(
      /^p\.yaml:18:13: at sinks\.1\.type: a nats sink takes trade, bar, news, signal\b.*; "ind" gives features items \(record them with a duckdb sink instead\)$/,
    );
    expect(loadError(`${HEAD}${BARS}sinks:\n  - { type: nats, in: barz }\n`).message).toBe(
      'p.yaml:11:23: at sinks.0.in: unknown input "barz"; sources and nodes are: trades, news, bars',
    );
  });

  it("reports an unknown sink type with the known ones, and a bad sink parameter with the sink's example", () => {
    expect(loadError(`${HEAD}${BARS}sinks:\n  - { type: kafka, in: bars }\n`).message).toBe(
      'p.yaml:11:13: at sinks.0.type: unknown sink type "kafka"; known sink types: nats, duckdb, console, webhook',
    );
    expect(loadError(`${HEAD}${BARS}sinks:\n  - { type: console, in: bars, params: { format: xml } }\n`).message).toMatch(
      /^p\.yaml:11:50: at sinks\.0\.params\.format: .*"text".*"json".* \(sink console; example: \{ type: console, in: signals, params: \{ format: text \} \}\)$/,
    );
    expect(loadError(`${HEAD}${BARS}sinks:\n  - { type: duckdb, in: bars, params: { table: x } }\n`).message).toMatch(
      /^p\.yaml:11:41: at sinks\.0\.params\.table: unknown key "table" \(sink duckdb/,
    );
  });

  it("reports an unknown source connector and a bad connector parameter", () => {
    const src = (s: string) => `name: p\nsources:\n  trades: ${s}\nnodes:\n  bars: { op: bars, in: trades, params: { timeframe: 1m } }\n`;
    expect(loadError(src("{ type: trade, connector: kafka }")).message).toBe(
      'p.yaml:3:37: at sources.trades.connector: unknown connector "kafka"; known connectors: jetstream, binance, file',
    );
    expect(loadError(src("{ type: trade, params: { subjects: [] } }")).message).toMatch(
      /^p\.yaml:3:46: at sources\.trades\.params\.subjects: .*connector jetstream/,
    );
    expect(loadError(src('{ type: trade, subjects: ["a.>"], params: { subjects: ["b.>"] } }')).message).toMatch(
      /at sources\.trades\.params\.subjects: subjects given twice/,
    );
  });

  it("locates errors in JSON declarations too", () => {
    const json =
      '{\n  "name": "p",\n  "sources": { "t": { "type": "trade" } },\n  "nodes": { "b": { "op": "bars", "in": "t", "params": { "timeframe": "1x" } } }\n}\n';
    expect(loadError(json, "p.json").message).toMatch(/^p\.json:4:71: at nodes\.b\.params\.timeframe: must be a timeframe/);
  });

  it("names the file when it cannot be read", async () => {
    await expect(loadPipeline("pipelines/does-not-exist.yaml")).rejects.toThrow(
      /^pipelines\/does-not-exist\.yaml: at \(top level\): cannot read the pipeline file \(ENOENT\)$/,
    );
  });
});

describe("shipped pipelines", () => {
  it("momentum-sentiment loads: trades → bars → indicators, news → sentiment, joined → signals", async () => {
    const p = await loadPipeline("pipelines/momentum-sentiment.yaml");
    expect(p.sources.map((s) => [s.name, s.kind, s.rank])).toEqual([
      ["trades", "trade", 0],
      ["news", "news", 1],
    ]);
    expect(p.nodes.map((n) => `${n.name}:${n.kind}`)).toEqual(["bars:bar", "indicators:features", "sentiment:scoredNews", "joined:features", "signals:signal"]);
    expect(p.outputs).toEqual(["signals", "joined"]);
    expect(p.sinks.map((s) => `${s.type}:${s.input}`)).toEqual(["nats:signals", "duckdb:signals", "duckdb:joined", "console:signals"]);
    expect(p.decl.sequencing).toEqual({ maxDelay: "5s", idleAfter: "250ms", maxAhead: "2d" });
  });

  it("momentum-bars loads on bar inputs", async () => {
    const p = await loadPipeline("pipelines/momentum-bars.yaml");
    expect(p.sources.map((s) => s.kind)).toEqual(["bar", "news"]);
    expect(p.kindOf("signals")).toBe("signal");
    expect(p.nodes.map((n) => n.name)).toEqual(["indicators", "sentiment", "joined", "signals"]);
  });
});
