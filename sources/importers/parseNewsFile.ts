// Pure parser for news as JSON Lines: {"id"?, "source", "ts" | "tsEvent", "headline", "body"?, "symbols"?}.
import { NewsMessage, type News } from "../../schemas/news.ts";
import { MessageValidationError } from "../../schemas/message.ts";
import { parseTimeNs } from "../../schemas/time.ts";
import type { RowError } from "./parseMarketFile.ts";

/** `ts` may be ISO-8601 (fractions to nanoseconds) or integer nanoseconds; a missing id is derived from source, time and line. */
export function parseNewsJsonl(text: string, file: string): { news: News[]; errors: RowError[] } {
  const news: News[] = [];
  const errors: RowError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = i + 1;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
    } catch (e) {
      errors.push({ line, reason: `not valid JSON (${(e as Error).message})`, text: raw });
      return;
    }
    if (typeof o !== "object" || o === null || Array.isArray(o)) {
      errors.push({ line, reason: `not a JSON object (got ${o === null ? "null" : Array.isArray(o) ? "an array" : typeof o})`, text: raw });
      return;
    }
    const tsText = String(o.tsEvent ?? o.ts ?? "");
    const ts = parseTimeNs(tsText);
    if (ts === undefined) {
      errors.push({ line, reason: `field "ts": ${JSON.stringify(o.tsEvent ?? o.ts)} is not a date/time`, text: raw });
      return;
    }
    try {
      news.push(
        NewsMessage.decode(
          {
            v: 1,
            type: "news",
            id: o.id ?? `${String(o.source)}:${ts}:${line}`,
            source: o.source,
            tsEvent: ts.toString(),
            headline: o.headline,
            body: o.body,
            symbols: o.symbols ?? [],
          },
          `${file}:${line}`,
        ),
      );
    } catch (e) {
      errors.push({ line, reason: e instanceof MessageValidationError ? `field "${e.field}" ${e.reason}` : (e as Error).message, text: raw });
    }
  });
  return { news, errors };
}
