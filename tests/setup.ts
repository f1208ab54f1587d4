// Property tests draw from a fixed seed so CI is reproducible; set FC_SEED to explore other cases
// (fast-check prints the seed and path of any counterexample it finds).
import fc from "fast-check";

const seed = Number(process.env.FC_SEED ?? 20261129);
fc.configureGlobal({ seed, ...(process.env.FC_NUM_RUNS ? { numRuns: Number(process.env.FC_NUM_RUNS) } : {}) });
