// `tickflow train sentiment` trains on a small labelled CSV into a folder; the JSON it writes loads and serves.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register } from "../../cli/commands/trainSentiment.ts";
import { newProgram } from "../../cli/main.ts";
import { createSentimentClassifier, decodeSentimentModel, type SentimentModelJson } from "../../operators/sentiment/sentimentClassifier.ts";

const SAMPLE = resolve(import.meta.dirname, "../fixtures/sentiment/twitter-financial-news-sample.csv");

describe("tickflow train sentiment", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it("trains from a CSV into --out; the JSON loads and classifies, the ONNX file is written", async () => {
    const out = mkdtempSync(join(tmpdir(), "tickflow-sentiment-"));
    dirs.push(out);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const program = newProgram();
    register(program);
    await program.parseAsync(["node", "tickflow", "train", "sentiment", "--csv", SAMPLE, "--valid", SAMPLE, "--out", out, "--name", "t", "--epochs", "2"]);
    const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
    expect(printed).toContain("trained t on 239 rows");
    expect(printed).toMatch(/model +accuracy [01]\.\d{4} +macro-F1 [01]\.\d{4} +confusion \[/);
    expect(printed).toContain("labels equal");
    const json = JSON.parse(readFileSync(join(out, "t.json"), "utf8")) as SentimentModelJson;
    const model = decodeSentimentModel(json);
    expect(model.name).toBe("t");
    const [p] = createSentimentClassifier(model).classify(["Acme beats estimates, raises guidance"]);
    expect(["positive", "negative", "neutral"]).toContain(p!.label);
    expect(statSync(join(out, "t.onnx")).size).toBeGreaterThan(model.model.dimension * 3 * 4);
    expect(json).toMatchObject({ training: { rows: 239, epochs: 2 }, validation: { model: { n: 239 } } });
  });

  it("rejects a bad --epochs before reading anything", async () => {
    const program = newProgram();
    register(program);
    await expect(program.parseAsync(["node", "tickflow", "train", "sentiment", "--csv", SAMPLE, "--out", "/nonexistent", "--epochs", "0"])).rejects.toThrow(
      "--epochs 0: expected a whole number >= 1",
    );
  });
});
