// Debian's chromium through playwright-core, for the tests that look at a page as a user would (the dashboard).
// The browser check is part of those tests: without chromium they fail, they are never skipped.
import { existsSync } from "node:fs";
import { expect } from "vitest";
import type { Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Runs `f` on a fresh page of a headless chromium; `errors` collects page errors and failed requests. */
export async function withBrowser<T>(f: (page: Page, errors: string[]) => Promise<T>, viewport = { width: 1280, height: 1400 }): Promise<T> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install -y chromium)`).toBe(true);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    return await f(page, errors);
  } finally {
    await browser.close();
  }
}
