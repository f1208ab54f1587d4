// The connector conformance suite (Redpanda Connect style): every source and sink in CONNECTORS passes the same
// cases against the real thing it talks to; a connector without a harness entry fails here. The per-connector
// halves are tests/connectors/sinkHarnesses.ts and sourceHarnesses.ts.
import { describe, expect, it } from "vitest";
import { CONNECTORS } from "../../app/connectors.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import { openOutputs, type SinkSpec } from "../../runtime/connectors.ts";
import type { InputBatch, OutputPort, RunMode, Timed } from "../../runtime/ports.ts";
import { subjectMatches } from "../../schemas/kinds.ts";
import { SignalMessage, type Signal } from "../../schemas/signal.ts";
import {
  BatchReader,
  idOf,
  isNotApplicable,
  openSource,
  settleWithin,
  sleep,
  until,
  within,
  type SinkHarness,
  type SinkTarget,
  type SourceHarness,
  type SourceTarget,
} from "./harness.ts";
import { SINK_HARNESSES, SINK_NODE } from "./sinkHarnesses.ts";
import { SOURCE_HARNESSES } from "./sourceHarnesses.ts";

/** Items per batch case: enough for several chunks and batches, small enough for the suite to stay fast. */
const N = 200;
const T0_NS = 1704205800000n * 1_000_000n;

/** Prints why a case does not apply, or what a scenario showed: the suite never skips silently. */
function note(connector: string, what: string, text: string): void {
  console.info(`[conformance] ${connector} · ${what}: ${text}`);
}

describe("connector conformance: every connector has a harness", () => {
  it("every source in CONNECTORS.sources has an entry in tests/connectors/sourceHarnesses.ts, and every entry a connector", () => {
    expect(
      CONNECTORS.sources.map((s) => s.connector).filter((c) => !SOURCE_HARNESSES.some((h) => h.connector === c)),
      "sources without a harness: add one to SOURCE_HARNESSES",
    ).toEqual([]);
    expect(
      SOURCE_HARNESSES.map((h) => h.connector).filter((c) => !CONNECTORS.sources.some((s) => s.connector === c)),
      "harness entries for no connector",
    ).toEqual([]);
  });

  it("every sink in CONNECTORS.sinks has an entry in tests/connectors/sinkHarnesses.ts, and every entry a sink", () => {
    expect(
      CONNECTORS.sinks.map((s) => s.type).filter((t) => !SINK_HARNESSES.some((h) => h.type === t)),
      "sinks without a harness: add one to SINK_HARNESSES",
    ).toEqual([]);
    expect(
      SINK_HARNESSES.map((h) => h.type).filter((t) => !CONNECTORS.sinks.some((s) => s.type === t)),
      "harness entries for no sink",
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sinks: the same five cases for each, through spec.create (and openOutputs for the mode rules)

function signal(i: number): Signal {
  const symbol = i % 2 === 0 ? "AAPL" : "MSFT";
  return SignalMessage.create({
    id: `sink-conformance:signals:${symbol}:${i}`,
    pipeline: "sink-conformance",
    symbol,
    tsEvent: T0_NS + BigInt(i) * 60_000_000_000n,
    action: (["buy", "sell", "flat"] as const)[i % 3]!,
    strength: (i % 10) / 10,
    reason: `conformance signal ${i}`,
    inputs: { rsi: 30 + (i % 40), i },
  });
}

const SIGNALS = Array.from({ length: N }, (_x, i) => signal(i));

/** A pipeline whose `signals` node (kind signal) feeds one sink of `type`; `input` names another node to try other kinds. */
function sinkPipeline(type: string, params: Readonly<Record<string, unknown>>, input = SINK_NODE): CompiledPipeline {
  return parsePipeline(
    `name: sink-conformance
sources:
  bars: { type: bar }
nodes:
  rows: { op: indicators, in: bars, params: { set: [{ id: emaFast, name: ema, period: 2 }, { id: emaSlow, name: ema, period: 3 }, { id: rsi, name: rsi, period: 2 }] } }
  signals: { op: momentumRule, in: rows, params: { emit: every, overbought: 100, oversold: 0 } }
sinks:
  - { type: ${type}, in: ${input}, params: ${JSON.stringify(params)} }
`,
    `${type}-sink-conformance.yaml`,
  );
}

function sinkSpec(type: string): SinkSpec {
  const spec = CONNECTORS.sinks.find((s) => s.type === type);
  if (!spec) throw new Error(`no sink "${type}" in CONNECTORS`);
  return spec;
}

interface SinkRun {
  readonly target: SinkTarget;
  readonly port: OutputPort;
  readonly runId: string;
}

/** A fresh target and a port made by `spec.create` with the declaration's checked params; both closed after `fn`. */
async function withSink(h: SinkHarness, runId: string, fn: (r: SinkRun) => Promise<void>): Promise<void> {
  const target = await within(h.start(), 15_000, `starting the ${h.type} sink's target`);
  let port: OutputPort | undefined;
  try {
    const spec = sinkSpec(h.type);
    const pipeline = sinkPipeline(h.type, target.params);
    const decl = pipeline.sinks[0]!;
    const mode: RunMode = spec.modes.includes("live") ? "live" : spec.modes[0]!;
    port = spec.create(decl.params, { runId, pipeline, mode, node: decl.input, kind: decl.kind, services: target.services });
    await fn({ target, port, runId });
  } finally {
    await within(port?.close?.() ?? Promise.resolve(), 5000, `closing the ${h.type} port`).catch(() => undefined);
    await target.close();
  }
}

const write = (port: OutputPort, items: readonly Signal[], firstSeq: bigint): Promise<void> =>
  within(port.write(SINK_NODE, "signal", items, firstSeq), 15_000, `${port.name}: writing ${items.length} signals`);

for (const spec of CONNECTORS.sinks) {
  const h = SINK_HARNESSES.find((x) => x.type === spec.type);
  describe(`sink ${spec.type} conformance`, () => {
    if (!h) {
      it("has a conformance harness", () =>
        expect.fail(`sink ${spec.type} has no entry in tests/connectors/sinkHarnesses.ts: add one (see docs/architecture.md, Connectors)`));
      return;
    }

    it("1 open/close: created, nothing written, flush and close resolve; close twice is harmless", async () => {
      await withSink(h, "open-close", async ({ target, port }) => {
        expect([port.name, port.stage]).toEqual([spec.type, spec.stage]);
        await write(port, [], 0n);
        await within(port.flush?.() ?? Promise.resolve(), 5000, "flush()");
        await within(port.close?.() ?? Promise.resolve(), 5000, "close()");
        await within(port.close?.() ?? Promise.resolve(), 5000, "close() again");
        expect(await target.held(), "an empty write delivers nothing").toEqual([]);
      });
    });

    it(`2 batch: ${N} signals delivered completely, in order, in the kind's wire form`, async () => {
      await withSink(h, "batch", async ({ target, port, runId }) => {
        await write(port, SIGNALS, 7n);
        await within(port.flush?.() ?? Promise.resolve(), 5000, "flush()");
        expect(await target.held()).toEqual(SIGNALS);
        await target.checkWire(SIGNALS, 7n, runId);
      });
    });

    it("3 commit before resolve: what write() resolved is in the target; a write to a failed target rejects", async () => {
      await withSink(h, "commit", async ({ target, port }) => {
        await write(port, SIGNALS, 0n);
        // No flush, no wait: a resolved write is a committed write.
        expect(await target.held()).toEqual(SIGNALS);
      });
      await withSink(h, "failing", async ({ target, port }) => {
        await target.breakTarget();
        const r = await settleWithin(port.write(SINK_NODE, "signal", SIGNALS.slice(0, 10), 0n), 15_000);
        expect(r.status, "a write whose target fails rejects (and does not hang)").toBe("rejected");
        if (r.status === "rejected") expect((r.error as Error).message.length).toBeGreaterThan(0);
      });
    });

    const idem = h.idempotent;
    if (isNotApplicable(idem)) {
      it(`4 idempotent retry: n/a (${idem.notApplicable}): the sink must then be an observer`, async () => {
        note(spec.type, "idempotent retry", `not applicable: ${idem.notApplicable}`);
        await withSink(h, "retry", async ({ target, port }) => {
          expect(port.stage, "only an observer may see a retried batch twice").toBe("observe");
          await write(port, SIGNALS, 0n);
          await write(port, SIGNALS, 0n);
          expect(await target.held(), "an observer sees what it is given, twice").toEqual([...SIGNALS, ...SIGNALS]);
        });
      });
    } else {
      it(`4 idempotent retry: the same batch again (same run, node, firstSeq) stores nothing twice: ${idem}`, async () => {
        await withSink(h, "retry", async ({ target, port, runId }) => {
          await write(port, SIGNALS, 0n);
          const once = await target.held();
          const keys = target.deliveryKeys?.() ?? [];
          await write(port, SIGNALS, 0n);
          expect(once).toEqual(SIGNALS);
          expect(await target.held(), "nothing stored twice").toEqual(once);
          if (target.deliveryKeys) expect(target.deliveryKeys().slice(keys.length), "the retry carries the same keys").toEqual(keys);
          await target.checkWire(SIGNALS, 0n, runId);
        });
      });
    }

    it(`5 mode rules: a port in exactly the modes ${spec.modes.join(", ")}; openOutputs(..., "replay") gives none unless it runs in replay`, async () => {
      let params: Readonly<Record<string, unknown>> = {};
      for (const mode of ["live", "replay", "check"] as const) {
        const target = await within(h.start(), 15_000, `starting the ${spec.type} sink's target`);
        try {
          params = target.params;
          const outs = openOutputs(sinkPipeline(spec.type, target.params), CONNECTORS, mode, `modes-${mode}`, target.services);
          if (!spec.modes.includes(mode)) {
            expect(outs, `a ${spec.type} sink gets no port in ${mode} runs`).toEqual([]);
            continue;
          }
          expect(outs.map((o) => [o.port.name, o.port.stage, o.node])).toEqual([[spec.type, spec.stage, SINK_NODE]]);
          // Whatever the mode (a replay recorder buffers), a run's writes are in the target once the run flushed,
          // and an idempotent sink stores a retried batch once in this mode too.
          const retried = !isNotApplicable(h.idempotent);
          await write(outs[0]!.port, SIGNALS, 0n);
          if (retried) await write(outs[0]!.port, SIGNALS, 0n);
          await within(outs[0]!.port.flush?.() ?? Promise.resolve(), 5000, "flush()");
          expect(await target.held(), `${mode}: the batch${retried ? ", written twice," : ""} is there once`).toEqual(SIGNALS);
          await outs[0]!.port.close?.();
        } finally {
          await target.close();
        }
      }
      // A node of a kind the sink does not take is refused when the pipeline loads, not when it runs.
      const kinds = sinkPipeline(spec.type, params);
      for (const node of ["bars", "rows", SINK_NODE]) {
        const load = () => sinkPipeline(spec.type, params, node);
        if (spec.accepts && !spec.accepts.includes(kinds.kindOf(node)))
          expect(load).toThrow(new RegExp(`a ${spec.type} sink takes .*"${node}" gives ${kinds.kindOf(node)} items`));
        else expect(load).not.toThrow();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Sources: the same five cases for each, through spec.open on a parsed pipeline, read as the run driver reads

/**
 * What a clean stream must look like: every expected input exactly once and in order across the runs; per run,
 * watermarks that never decrease and no input behind an earlier watermark; every origin present, unique and
 * matching its source's subject filters (what replay reads back by); no dead letters.
 */
function checkStream(pipeline: CompiledPipeline, expected: readonly Timed[], runs: readonly (readonly InputBatch[])[]): void {
  const items = runs.flat().flatMap((b) => b.items);
  expect(items.map(idOf), "every input exactly once, in the order the pipeline must see them").toEqual(expected.map(idOf));
  expect(items).toEqual(expected);
  for (let i = 1; i < items.length; i++) expect(items[i]!.tsEvent >= items[i - 1]!.tsEvent, `event time goes back at input ${idOf(items[i]!)}`).toBe(true);
  const origins = new Set<string>();
  runs.forEach((run, k) => {
    let watermark: bigint | undefined;
    run.forEach((b, j) => {
      const where = `run ${k + 1}, batch ${j + 1}`;
      expect(b.sources.length, `${where}: a source per input`).toBe(b.items.length);
      expect(b.origins?.length, `${where}: an origin per input`).toBe(b.items.length);
      expect(b.deadLetters ?? [], `${where}: a clean feed has no dead letters`).toEqual([]);
      if (watermark !== undefined) {
        expect(b.watermark >= watermark, `${where}: watermark ${b.watermark} is behind the previous ${watermark}`).toBe(true);
        for (const x of b.items)
          expect(x.tsEvent >= watermark, `${where}: input ${idOf(x)} at ${x.tsEvent} is behind the earlier watermark ${watermark}`).toBe(true);
      }
      watermark = b.watermark;
      b.items.forEach((x, i) => {
        const source = pipeline.sources.find((s) => s.rank === b.sources[i]);
        const o = b.origins![i]!;
        expect(source, `${where}: input ${idOf(x)} names source rank ${b.sources[i]}`).toBeDefined();
        expect(
          source!.subjects.some((f) => subjectMatches(f, o.subject)),
          `${where}: origin ${o.subject} of ${idOf(x)} matches none of source ${source!.name}'s subjects ${source!.subjects.join(", ")}`,
        ).toBe(true);
        const key = `${o.subject} #${o.streamSeq}`;
        expect(origins.has(key), `${where}: origin ${key} given twice`).toBe(false);
        origins.add(key);
      });
    });
  });
}

/** Feeds `expected` to a fresh target, reads it all through the connector (`each` sees every batch first), checks the stream. */
async function readAll(
  h: SourceHarness,
  expected: readonly Timed[],
  runId: string,
  each?: (b: InputBatch, r: BatchReader, t: SourceTarget) => Promise<void>,
): Promise<void> {
  const t = await within(h.start(), 15_000, `starting the ${h.connector} source's target`);
  try {
    await t.feed(expected);
    const { pipeline, input } = openSource(t, h.connector, runId);
    const r = await new BatchReader(input, `${h.connector} ${runId}`).open();
    try {
      if (each) {
        while (r.count < expected.length) {
          const b = await r.next(15_000);
          if (!b) throw new Error(`${h.connector}: batches() ended after ${r.count} of ${expected.length} inputs`);
          await each(b, r, t);
        }
      } else {
        await r.readUntil(expected.length);
      }
      await r.finish();
    } catch (e) {
      await r.abandon();
      throw e;
    }
    checkStream(pipeline, expected, [r.batches]);
  } finally {
    await t.close();
  }
}

for (const spec of CONNECTORS.sources) {
  const h = SOURCE_HARNESSES.find((x) => x.connector === spec.connector);
  describe(`source ${spec.connector} conformance`, () => {
    if (!h) {
      it("has a conformance harness", () =>
        expect.fail(`source ${spec.connector} has no entry in tests/connectors/sourceHarnesses.ts: add one (see docs/architecture.md, Connectors)`));
      return;
    }

    it("1 open/close: with nothing to read, open, stop and close end quickly; close twice is harmless", async () => {
      const t = await within(h.start(), 15_000, `starting the ${h.connector} source's target`);
      try {
        const { input } = openSource(t, h.connector, "open-close");
        const r = await new BatchReader(input, `${h.connector} with nothing to read`).open();
        const first = r.next(10_000);
        await sleep(300); // the port waits for input (a file ends at once)
        const t0 = performance.now();
        await within(input.stop?.() ?? Promise.resolve(), 5000, "stop()");
        await first;
        while (!r.done) await r.next(5000);
        expect(performance.now() - t0, "stop() ends batches() within 3 s").toBeLessThan(3000);
        expect(r.count, "nothing to read, nothing read").toBe(0);
        await within(input.close?.() ?? Promise.resolve(), 5000, "close()");
        await within(input.close?.() ?? Promise.resolve(), 5000, "close() again");
      } finally {
        await t.close();
      }
    });

    it(`2 batch: ${N} inputs exactly once, in event-time order, watermarks never decreasing, origins matching the subjects`, async () => {
      await readAll(h, h.inputs(N), "batch");
    });

    const ack = h.acknowledged;
    if (isNotApplicable(ack)) {
      it(`3 commit before resolve: n/a (${ack.notApplicable}): batches carry no commit()`, async () => {
        note(spec.connector, "acknowledgement", `not applicable: ${ack.notApplicable}`);
        await readAll(h, h.inputs(N), "no-positions", async (b) => {
          expect(b.commit, "a source without positions must not pretend to acknowledge").toBeUndefined();
        });
      });
    } else {
      it("3 commit before resolve: a batch's inputs are acknowledged only once its commit() was called", async () => {
        let batches = 0;
        await readAll(h, h.inputs(N), "ack", async (b, r, t) => {
          expect(b.commit, "a source with positions gives every batch a commit()").toBeDefined();
          expect((await ack(t, r.input, b.origins!)).filter(Boolean), "acknowledged before commit()").toEqual([]);
          await b.commit!();
          await until("the batch acknowledged after commit()", async () => (await ack(t, r.input, b.origins!)).every(Boolean), 5000);
          batches++;
        });
        note(spec.connector, "acknowledgement", `${batches} batch(es): none acknowledged before its commit(), all after`);
      });
    }

    for (const [n, name, c] of [
      [4, "idempotent retry / redelivery", h.redelivery],
      [5, "reconnect without loss", h.reconnect],
    ] as const) {
      if (isNotApplicable(c)) {
        it(`${n} ${name}: n/a (${c.notApplicable})`, () => {
          note(spec.connector, name, `not applicable: ${c.notApplicable}`);
          expect(c.notApplicable.length, "a case that does not apply says why").toBeGreaterThan(10);
        });
      } else {
        it(`${n} ${name}: every input still exactly once, in order`, async () => {
          const s = await c();
          note(spec.connector, name, s.evidence);
          checkStream(s.pipeline, s.expected, s.runs);
        });
      }
    }
  });
}
