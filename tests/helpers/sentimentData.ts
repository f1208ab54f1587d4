// Test helper: where the sentiment tests find their data. The validation split comes from ../shared/data, which CI
// clones beside the repository (README): without it the tests fail, they do not skip.
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** The labelled validation split (never trained on). */
export const SENTIMENT_VALID = resolve(ROOT, "../shared/data/news/twitter-financial-news-valid.csv");
if (!existsSync(SENTIMENT_VALID)) throw new Error(`${SENTIMENT_VALID} is missing: the validation split comes from ../shared/data (see its README)`);
/** 239 rows of the train split shipped with the tests. */
export const SENTIMENT_SAMPLE = resolve(ROOT, "tests/fixtures/sentiment/twitter-financial-news-sample.csv");
/** The shipped ONNX model. */
export const SENTIMENT_ONNX = resolve(ROOT, "models/sentiment/finance-sentiment-v1.onnx");
