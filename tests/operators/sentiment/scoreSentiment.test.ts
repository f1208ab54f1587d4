import { describe, expect, it } from "vitest";
import { Subject, map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { scoreSentiment } from "../../../operators/scoreSentiment.ts";
import type { News, ScoredNews } from "../../../operators/sentiment/types.ts";

const news = (id: string, headline: string, extra: Partial<News> = {}): News => ({
  id,
  source: "wire",
  tsEvent: 1_700_000_000_000_000_000n + BigInt(id.length),
  headline,
  symbols: [],
  ...extra,
});

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe("scoreSentiment", () => {
  it("maps each batch to a batch: empty, single, many (one output per symbol, sorted by symbol)", () => {
    const a = news("a", "Apple beats estimates");
    const b = news("bb", "Microsoft and Apple shares tumble");
    const c = news("ccc", "Quiet day for markets");
    const d = news("dddd", "Revenue fell 3%", { symbols: ["ZZZ", "ACME", "ZZZ"] });
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<readonly News[]>("-e-s-m-|", { e: [], s: [a], m: [b, c, d] });
      const pick = (x: ScoredNews) => `${x.id}:${x.symbol}:${x.label}`;
      expectObservable(src.pipe(scoreSentiment(), map((batch) => batch.map(pick)))).toBe(
        "-e-s-m-|",
        { e: [], s: ["a:AAPL:positive"], m: ["bb:AAPL:negative", "bb:MSFT:negative", "dddd:ACME:negative", "dddd:ZZZ:negative"] },
      );
    });
  });

  it("emits the ScoredNews fields and leaves the input untouched", () => {
    const item = news("n1", "Nvidia profit rose 12%", { body: "Demand was strong. Margins improved." });
    const frozen = Object.freeze({ ...item, symbols: Object.freeze([...item.symbols]) as string[] });
    let got: readonly ScoredNews[] = [];
    const subj = new Subject<readonly News[]>();
    subj.pipe(scoreSentiment()).subscribe((v) => (got = v));
    subj.next([frozen]);
    expect(got).toHaveLength(1);
    const [s] = got;
    expect(s).toMatchObject({ id: "n1", source: "wire", tsEvent: item.tsEvent, symbol: "NVDA", label: "positive", headline: item.headline });
    expect(s!.score).toBeGreaterThan(0.3);
    expect(s!.score).toBeLessThanOrEqual(1);
  });

  it("weights the body by bodyWeight; 0 ignores it", () => {
    const item = news("n1", "Tesla to hold product event", { body: "Sales plunged 40%. Losses widened sharply." });
    const run = (bodyWeight: number) => {
      let got: readonly ScoredNews[] = [];
      const subj = new Subject<readonly News[]>();
      subj.pipe(scoreSentiment({ bodyWeight })).subscribe((v) => (got = v));
      subj.next([item]);
      return got[0]!;
    };
    expect(run(0).label).toBe("neutral");
    expect(run(0.5).label).toBe("negative");
    expect(run(1).score).toBeLessThan(run(0.5).score);
  });

  it("reports items it cannot link through onUnlinked, and a throwing callback errors the stream", () => {
    const unlinked: string[] = [];
    let got: readonly ScoredNews[] | undefined;
    const subj = new Subject<readonly News[]>();
    subj.pipe(scoreSentiment({ onUnlinked: (n) => unlinked.push(n.id) })).subscribe((v) => (got = v));
    subj.next([news("x", "Markets quiet"), news("y", "$ACME jumps")]);
    expect(unlinked).toEqual(["x"]);
    expect(got!.map((s) => s.symbol)).toEqual(["ACME"]);

    let error: unknown;
    const subj2 = new Subject<readonly News[]>();
    subj2.pipe(scoreSentiment({ onUnlinked: () => { throw new Error("dlq full"); } })).subscribe({ error: (e) => (error = e) });
    subj2.next([news("x", "Markets quiet")]);
    expect((error as Error).message).toBe("dlq full");
  });

  it("passes errors and completion through, and stops on early unsubscribe", () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<readonly News[]>("-a-a-a-a|", { a: [] });
      expectObservable(src.pipe(scoreSentiment()), "^---!").toBe("-e-e", { e: [] });
      expectSubscriptions(src.subscriptions).toBe("^---!");
      const failing = cold<readonly News[]>("-a-#", { a: [] }, new Error("boom"));
      expectObservable(failing.pipe(scoreSentiment())).toBe("-e-#", { e: [] }, new Error("boom"));
    });
  });

  it("is deterministic across subscriptions (no shared state)", () => {
    const op = scoreSentiment();
    const batch = [news("a", "Apple beats estimates"), news("b", "Amazon cuts jobs")];
    const run = () => {
      let got: readonly ScoredNews[] = [];
      const subj = new Subject<readonly News[]>();
      subj.pipe(op).subscribe((v) => (got = v));
      subj.next(batch);
      return got;
    };
    expect(run()).toEqual(run());
  });

  it("rejects a bad bodyWeight with a message naming the option", () => {
    expect(() => scoreSentiment({ bodyWeight: -1 })).toThrow(/bodyWeight must be a finite number >= 0, got -1/);
  });
});
