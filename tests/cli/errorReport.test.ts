// What `tickflow` prints when a command fails: the message, the code of a TickflowError, and with TICKFLOW_DEBUG the causes.
import { describe, expect, it } from "vitest";
import { errorReport } from "../../cli/main.ts";
import { ModelLoadError } from "../../models/onnxScorer.ts";
import { RetriesExhaustedError } from "../../core/retry.ts";

describe("errorReport", () => {
  it("ends the line with the code of a TickflowError, and prints a plain error as before", () => {
    expect(errorReport(new ModelLoadError("model m.onnx: cannot read file (ENOENT)", "m.onnx"), false)).toBe(
      "tickflow: model m.onnx: cannot read file (ENOENT) [MODEL_LOAD_FAILED]\n",
    );
    expect(errorReport(new Error("no such run"), false)).toBe("tickflow: no such run\n");
    expect(errorReport("thrown string", false)).toBe("tickflow: thrown string\n");
  });

  it("with debug, prints the stack and then each cause with its code", () => {
    const root = new Error("connect ECONNREFUSED 127.0.0.1:4222");
    const load = new ModelLoadError("model m.onnx: cannot read file", "m.onnx", { cause: root });
    const text = errorReport(new RetriesExhaustedError(3, load), true);
    const lines = text.split("\n");
    expect(lines[0]).toBe("tickflow: gave up after 3 attempts: model m.onnx: cannot read file [RETRIES_EXHAUSTED]");
    expect(lines[1]).toBe("RetriesExhaustedError: gave up after 3 attempts: model m.onnx: cannot read file");
    expect(text).toContain("\ncaused by [MODEL_LOAD_FAILED]: ModelLoadError: model m.onnx: cannot read file\n");
    expect(text).toContain("\ncaused by: Error: connect ECONNREFUSED 127.0.0.1:4222\n");
    expect(text.indexOf("caused by [MODEL_LOAD_FAILED]")).toBeLessThan(text.indexOf("caused by: Error"));
  });

  it("stops at a cause cycle", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorReport(a, true).match(/caused by/g)).toHaveLength(1);
  });
});
