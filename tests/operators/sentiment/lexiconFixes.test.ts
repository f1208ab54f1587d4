// The lexicon bugs real news exposed (issue 12): the noun "contract" read as a shrink verb, a plain profit figure,
// "fine" as an adjective and everyday AFINN words scored polar. Each sentence is neutral now; the verbs and the
// penalties still count.
import { describe, expect, it } from "vitest";
import { labelOf, scoreText } from "../../../operators/sentiment/scoreText.ts";

const label = (t: string) => labelOf(scoreText(t).score);

describe("finance lexicon fixes", () => {
  it("neutral statements stay neutral", () => {
    for (const t of [
      "The value of the contract is EUR 25mn",
      "The contracts run until 2027",
      "Operating profit was EUR 5.2mn",
      "The company makes fine paper and board",
      "A leading provider of dedicated quality solutions for banks",
    ])
      expect(label(t), t).toBe("neutral");
  });
  it("what they were mistaken for still counts", () => {
    expect(label("Manufacturing activity contracted sharply in March")).toBe("negative");
    expect(label("Acme was fined EUR 3mn by the regulator")).toBe("negative");
    expect(label("Operating profit rose 40% to EUR 5.2mn")).toBe("positive");
    expect(label("Acme wins contract worth EUR 25mn")).toBe("positive");
  });
});
