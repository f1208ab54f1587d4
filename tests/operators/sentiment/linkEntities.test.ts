import { describe, expect, it } from "vitest";
import { createEntityLinker, linkEntities } from "../../../operators/sentiment/linkEntities.ts";
import defaultCompanyNames from "../../../operators/sentiment/companyNames.ts";

describe("linkEntities", () => {
  it("finds cashtags, exchange-prefixed tickers, bare known tickers and company names, sorted", () => {
    expect(linkEntities("Apple's iPhone sales beat; NASDAQ:MSFT slips; $TSLA and NVDA rise")).toEqual(["AAPL", "MSFT", "NVDA", "TSLA"]);
    expect(linkEntities("Facebook parent Meta Platforms (NASDAQ: META) rises")).toEqual(["META"]);
    expect(linkEntities("Google and Alphabet: same company")).toEqual(["GOOGL"]);
  });

  it("accepts any cashtag or prefixed symbol, including class shares, but not dollar amounts", () => {
    expect(linkEntities("$BRK.B up, price target $310, NYSE: IBM flat")).toEqual(["BRK.B", "IBM"]);
  });

  it("recognises ambiguous tickers only with a cashtag or exchange prefix", () => {
    const linker = createEntityLinker({ companyNames: {}, knownSymbols: ["IT", "ALL", "A", "AAPL"] });
    expect(linker.link("IT spending rises for ALL firms, A survey says")).toEqual([]);
    expect(linker.link("$IT beats; NYSE:ALL falls; $A flat; AAPL up")).toEqual(["A", "AAPL", "ALL", "IT"]);
  });

  it("matches names case-sensitively on word boundaries, with possessives", () => {
    expect(linkEntities("apple pie recipes; Pineapple; Metadata")).toEqual([]);
    expect(linkEntities("Tesla’s deliveries and Amazon's cloud")).toEqual(["AMZN", "TSLA"]);
    expect(linkEntities("Meta-analysis finds")).toEqual([]);
  });

  it("in an all-caps headline, ignores bare tickers and matches names regardless of case", () => {
    expect(linkEntities("APPLE BEATS ESTIMATES, IT SAYS; TSLA FLAT")).toEqual(["AAPL"]);
  });

  it("takes an extended name map", () => {
    const linker = createEntityLinker({ companyNames: { ...defaultCompanyNames, ACME: ["Acme Corp", "Acme"] } });
    expect(linker.link("Acme's profit rose; Microsoft flat")).toEqual(["ACME", "MSFT"]);
    expect(linker.link("ACME shares rise")).toEqual(["ACME"]);
  });

  it("returns [] for empty text", () => {
    expect(linkEntities("")).toEqual([]);
  });
});
