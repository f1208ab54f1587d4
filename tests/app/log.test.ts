// The process log (app/log.ts): text lines for a terminal, one pino JSON object per line for a collector, the
// same events in both; the format from --log, else TICKFLOW_LOG, anything else refused.
import { describe, expect, it } from "vitest";
import { createLog, LogFormatError, resolveLogFormat } from "../../app/log.ts";

describe("the process log", () => {
  it("json: one object per line with level by name, ISO time, event, msg, the child's fields and the event's", () => {
    const out: string[] = [];
    const log = createLog("json", { write: (l) => out.push(l) }).child({ runId: "r1", pipeline: "p" });
    log.info("run.started", "running p", { dashboardUrl: null });
    log.warn("nats.publish_failing", "publishes are failing", { consecutiveFailures: 3 });
    log.lines("model.deployment", "error")("tickflow: pipeline p: rejected deployment revision 4");
    expect(out).toHaveLength(3);
    for (const l of out) expect(l.endsWith("\n") && !l.slice(0, -1).includes("\n")).toBe(true);
    const [a, b, c] = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: "info", event: "run.started", msg: "running p", runId: "r1", pipeline: "p", dashboardUrl: null, pid: process.pid });
    expect(new Date(a!.time as string).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: "warn", event: "nats.publish_failing", consecutiveFailures: 3, runId: "r1" });
    expect(c).toMatchObject({ level: "error", event: "model.deployment", msg: "pipeline p: rejected deployment revision 4" });
  });

  it("text: the sentence behind `tickflow: `, one line per event, whatever the fields", () => {
    const out: string[] = [];
    const log = createLog("text", { write: (l) => out.push(l) }).child({ runId: "r1" });
    log.info("run.started", "running p", { x: 1 });
    log.lines("recording.notice", "warn")("tickflow: run r1: MARKET no longer holds 5..9");
    expect(out).toEqual(["tickflow: running p\n", "tickflow: run r1: MARKET no longer holds 5..9\n"]);
  });

  it("takes --log over TICKFLOW_LOG over text, and refuses anything else naming where it came from", () => {
    expect(resolveLogFormat(undefined, {})).toBe("text");
    expect(resolveLogFormat(undefined, { TICKFLOW_LOG: "json" })).toBe("json");
    expect(resolveLogFormat("text", { TICKFLOW_LOG: "json" })).toBe("text");
    expect(() => resolveLogFormat("JSON", {})).toThrow(new LogFormatError('--log must be one of text, json, got "JSON"'));
    expect(() => resolveLogFormat(undefined, { TICKFLOW_LOG: "" })).toThrow(/^TICKFLOW_LOG must be one of text, json, got ""$/);
  });
});
