// The optimiser's report: self-contained, and drawn in headless Chromium (heatmap pixels, the OOS equity chart, the
// verdicts), with no console error and no request leaving the file.
import { describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withDatabase, tempDir } from "../helpers/duckdb.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { optimize } from "../../replay/optimize/optimize.ts";
import { parseParam } from "../../replay/optimize/params.ts";
import { heatmapData, renderOptimizeHtml } from "../../replay/optimize/reportHtml.ts";
import { recordOrcl, smaDeclaration } from "./fixture.ts";

const CHROMIUM = "/usr/bin/chromium";

describe("optimize report", async () => {
  const r = await withDatabase(async (db) => {
    await recordOrcl(db);
    const { decl, source } = smaDeclaration();
    return optimize({
      db,
      decl,
      source,
      connectors: CONNECTORS,
      params: ["indicators.set.0.period=4..10:2", "indicators.set.1.period=15,20,25", "broker.strategy.sizing.percent=50,100"].map(parseParam),
      walkForward: { folds: 2, inSampleFraction: 0.7 },
      workers: 0,
    });
  });
  const html = renderOptimizeHtml(r, { pipeline: "sma-crossover" });

  it("holds the heatmap over the first two parameters, the others at their best values", () => {
    const h = heatmapData(r);
    expect(h.x).toBe("indicators.set.0.period");
    expect(h.y).toBe("indicators.set.1.period");
    expect(h.cells).toHaveLength(3);
    expect(h.cells[0]).toHaveLength(4);
    const best = r.variants[r.best]!;
    const bx = h.xs.indexOf(best[0]!);
    const by = h.ys.indexOf(best[1]!);
    expect(h.cells[by]![bx]).toBe(r.runs[r.best]!.stats.sharpe);
    const swapped = heatmapData(r, ["p3", "p1"]);
    expect(swapped.x).toBe("broker.strategy.sizing.percent");
    expect(() => heatmapData(r, ["nope"])).toThrow(/not a swept parameter/);
    expect(/<script[^>]+src=/.test(html)).toBe(false);
    expect(html).toContain('id="pbo"');
  });

  it(`renders in headless Chromium (needs ${CHROMIUM}: apt-get install -y chromium)`, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required`).toBe(true);
    const { chromium } = await import("playwright-core");
    const { dir, cleanup } = tempDir();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      const file = join(dir, "optimize.html");
      writeFileSync(file, html);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const external: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("request", (q) => {
        if (!q.url().startsWith("file:")) external.push(q.url());
      });
      await page.goto(`file://${file}`);
      await page.waitForSelector("body[data-rendered=true]");
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      // The heatmap canvas has colored cells: count distinct non-white pixels.
      const colours = await page.$eval("#heatmap", (el) => {
        // No DOM types in this project's lib: the canvas API as far as it is used here.
        type Canvas = {
          width: number;
          height: number;
          getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        };
        const c = el as unknown as Canvas;
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<string>();
        for (let i = 0; i < d.length; i += 4)
          if (d[i + 3]! > 0 && !(d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255)) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return seen.size;
      });
      expect(colours).toBeGreaterThan(5);
      expect(await page.$$eval("#oos canvas", (cs) => cs.length)).toBeGreaterThan(0);
      expect(await page.$$eval("#ranking tbody tr", (rs) => rs.length)).toBe(Math.min(20, r.runs.length));
      expect(await page.$$eval("#folds tbody tr", (rs) => rs.length)).toBe(2);
      expect(await page.textContent("#pbo")).toMatch(/^PBO \d\.\d\d: /);
      expect(await page.textContent("#dsr")).toMatch(/^DSR \d\.\d\d/);
      const png = await page.screenshot({ fullPage: true });
      expect(png.length).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
      cleanup();
    }
  });
});
