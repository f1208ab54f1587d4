// Token-bucket rate limiting with an injected clock: per client IP for the HTTP API, and for order submission
// (the trading layer keys it by account or strategy). Pure arithmetic on the clock's readings; no timers.

export interface RateLimitClock {
  nowMs(): number;
}

export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the largest burst. */
  readonly capacity: number;
  /** Tokens added per second, continuously. */
  readonly refillPerSecond: number;
  readonly clock?: RateLimitClock;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** When not allowed: ms until the request would be allowed (0 when allowed). */
  readonly retryAfterMs: number;
}

const systemClock: RateLimitClock = { nowMs: () => Date.now() };

function checkOptions(o: TokenBucketOptions): void {
  if (!(o.capacity >= 1) || !Number.isFinite(o.capacity)) throw new RangeError(`rate limit capacity must be a finite number >= 1, got ${o.capacity}`);
  if (!(o.refillPerSecond > 0) || !Number.isFinite(o.refillPerSecond))
    throw new RangeError(`rate limit refillPerSecond must be a finite number > 0, got ${o.refillPerSecond}`);
}

/**
 * One token bucket: starts full; each request takes `cost` tokens; tokens come back at `refillPerSecond`.
 *
 * @example
 * const orders = new TokenBucket({ capacity: 10, refillPerSecond: 2 });
 * if (!orders.take().allowed) reject("order rate limit");
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;
  private readonly clock: RateLimitClock;

  constructor(private readonly o: TokenBucketOptions) {
    checkOptions(o);
    this.clock = o.clock ?? systemClock;
    this.tokens = o.capacity;
    this.updatedMs = this.clock.nowMs();
  }

  take(cost = 1): RateDecision {
    if (cost > this.o.capacity) throw new RangeError(`a request costing ${cost} tokens can never pass a bucket of capacity ${this.o.capacity}`);
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return { allowed: true, remaining: Math.floor(this.tokens), retryAfterMs: 0 };
    }
    return { allowed: false, remaining: Math.floor(this.tokens), retryAfterMs: Math.ceil(((cost - this.tokens) / this.o.refillPerSecond) * 1000) };
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** True when the bucket is full again, i.e. forgetting it changes nothing. */
  isFull(): boolean {
    return this.available() >= this.o.capacity;
  }

  private refill(): void {
    const now = this.clock.nowMs();
    const elapsed = Math.max(0, now - this.updatedMs); // a clock stepping back refills nothing
    this.updatedMs = Math.max(this.updatedMs, now);
    this.tokens = Math.min(this.o.capacity, this.tokens + (elapsed / 1000) * this.o.refillPerSecond);
  }
}

export interface KeyedRateLimiterOptions extends TokenBucketOptions {
  /** Most keys tracked at once; full buckets are forgotten first, then the oldest. Default 10 000. */
  readonly maxKeys?: number;
}

/** A token bucket per key (client IP, account): memory bounded by `maxKeys`. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly o: KeyedRateLimiterOptions) {
    checkOptions(o);
  }

  take(key: string, cost = 1): RateDecision {
    let b = this.buckets.get(key);
    if (b)
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
    else {
      if (this.buckets.size >= (this.o.maxKeys ?? 10_000)) this.evict();
      b = new TokenBucket(this.o);
    }
    this.buckets.set(key, b);
    return b.take(cost);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    for (const [k, b] of this.buckets) if (b.isFull()) this.buckets.delete(k);
    if (this.buckets.size >= (this.o.maxKeys ?? 10_000)) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
