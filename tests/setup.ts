// Property tests draw from a fixed seed so CI is reproducible; set FC_SEED to explore other cases
// (fast-check prints the seed and path of any counterexample it finds).
import fc from "fast-check";

const seed = Number(process.env.FC_SEED ?? 20261129);
fc.configureGlobal({ seed, ...(process.env.FC_NUM_RUNS ? { numRuns: Number(process.env.FC_NUM_RUNS) } : {}) });

// Orders, fills and signals are published signed (docs/signing.md) and a run without a key refuses to start: every
// test has one, unless it configures its own (tests of the missing-key error remove it).
if (process.env.TICKFLOW_SIGNING_KEYS_FILE === undefined && process.env.TICKFLOW_HMAC_KEY_FILE === undefined)
  process.env.TICKFLOW_HMAC_KEY ??= "tickflow-test-signing-key-0123456789";
