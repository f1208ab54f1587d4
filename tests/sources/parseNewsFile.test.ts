// parseNewsJsonl: news as JSON Lines; a bad line is reported with its number and reason, the rest still parse.
import { describe, expect, it } from "vitest";
import { parseNewsJsonl } from "../../sources/importers/parseNewsFile.ts";

const lines = [
  '{"id":"r1","source":"reuters","ts":"2024-01-02T14:30:00.123456789Z","headline":"Apple beats estimates","symbols":["AAPL"]}',
  '{"source":"simwire","tsEvent":"1704205800000000001","headline":"Microsoft cuts guidance","body":"Long text."}',
  "",
  "{not json",
  '{"source":"reuters","ts":"2024-01-02T15:00:00Z"}',
  '{"source":"reuters","ts":"yesterday","headline":"x"}',
  '{"source":"reuters","ts":"2024-02-30","headline":"x"}',
  "null",
  '{"source":"Reuters Wire","ts":"2024-01-02","headline":"x"}',
  '{"source":"reuters","headline":"no time"}',
  '{"source":"reuters","ts":"2024-01-02T16:00:00+01:00","headline":"Zoned","symbols":["aapl"]}',
  '{"source":"reuters","ts":"2024-01-02T16:00:00+01:00","headline":"Zoned ok"}',
].join("\n");

describe("parseNewsJsonl", () => {
  const { news, errors } = parseNewsJsonl(lines, "news.jsonl");

  it("parses good lines: ISO with nanoseconds, integer nanoseconds, optional body, derived id, zones", () => {
    expect(news).toEqual([
      { id: "r1", source: "reuters", tsEvent: 1704205800123456789n, headline: "Apple beats estimates", symbols: ["AAPL"] },
      {
        id: "simwire:1704205800000000001:2",
        source: "simwire",
        tsEvent: 1704205800000000001n,
        headline: "Microsoft cuts guidance",
        body: "Long text.",
        symbols: [],
      },
      { id: "reuters:1704207600000000000:12", source: "reuters", tsEvent: 1704207600000000000n, headline: "Zoned ok", symbols: [] },
    ]);
    expect("body" in news[0]!).toBe(false);
  });

  it("reports each bad line with its number and a reason naming the field", () => {
    expect(errors.map((e) => [e.line, e.reason])).toEqual([
      [4, expect.stringMatching(/^not valid JSON \(/)],
      [5, expect.stringMatching(/^field "headline" .*got nothing \(field missing\)$/)],
      [6, 'field "ts": "yesterday" is not a date/time'],
      [7, 'field "ts": "2024-02-30" is not a date/time'],
      [8, "not a JSON object (got null)"],
      [9, expect.stringMatching(/^field "source" must be a lower-case source name/)],
      [10, expect.stringMatching(/^field "ts": .* is not a date\/time$/)],
      [11, expect.stringMatching(/^field "symbols\.0" must be an upper-case symbol/)],
    ]);
    expect(errors[1]!.text).toBe('{"source":"reuters","ts":"2024-01-02T15:00:00Z"}');
  });

  it("accepts CRLF line ends and an empty file", () => {
    expect(parseNewsJsonl('{"source":"a","ts":"2024-01-02","headline":"h"}\r\n\r\n', "n.jsonl").news).toHaveLength(1);
    expect(parseNewsJsonl("", "n.jsonl")).toEqual({ news: [], errors: [] });
  });
});
