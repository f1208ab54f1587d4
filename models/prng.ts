// Seeded pseudo-random numbers for models: training and synthetic data must replay bit-for-bit, so no Math.random().

/** A generator of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a small 32-bit generator, good enough for sampling and synthetic data (not for cryptography).
 * @example const rand = mulberry32(42); rand(); // same sequence for seed 42 on every run
 * @param seed any integer; only its low 32 bits are used
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller from a seeded generator. */
export function normalFrom(rand: Random): () => number {
  return () => {
    const u = 1 - rand(); // (0, 1], keeps log finite
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
