// The shipped sentiment classifier (models/sentiment/finance-sentiment-v1.json, card in docs/sentiment-model.md),
// imported as a module so serving it needs no file I/O; decoded once, on first use.
import shipped from "../../models/sentiment/finance-sentiment-v1.json" with { type: "json" };
import { decodeSentimentModel, type SentimentClassifierModel, type SentimentModelJson } from "./sentimentClassifier.ts";

let decoded: SentimentClassifierModel | undefined;

/** The shipped model, trained on the Twitter Financial News train split (validation accuracy in the model card). */
export function builtinSentimentModel(): SentimentClassifierModel {
  decoded ??= decodeSentimentModel(shipped as unknown as SentimentModelJson);
  return decoded;
}

/** The shipped JSON as written by `tickflow train sentiment`, recorded metrics included. */
export const BUILTIN_SENTIMENT_MODEL_JSON = shipped as unknown as SentimentModelJson;
