// Bounded containers for the live feed: a ring of the newest items and a map that forgets its oldest keys.

/** The newest `capacity` items, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}

  push(x: T): void {
    this.items.push(x);
    // Trim in chunks: one splice per `capacity / 4` pushes instead of one per push.
    if (this.items.length > this.capacity + Math.max(1, this.capacity >> 2)) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Replaces the newest item (a candle updated within its interval). */
  replaceLast(x: T): void {
    if (this.items.length === 0) this.items.push(x);
    else this.items[this.items.length - 1] = x;
  }

  last(): T | undefined {
    return this.items.at(-1);
  }

  /** The newest `n` (at most the capacity), oldest first. */
  latest(n = this.capacity): T[] {
    return this.items.slice(Math.max(0, this.items.length - Math.min(n, this.capacity)));
  }
}

/** A Map of at most `capacity` keys: setting a new key beyond it forgets the key set longest ago. */
export class CappedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(k: K): V | undefined {
    return this.map.get(k);
  }

  /** Returns the key it forgot, if any. */
  set(k: K, v: V): K | undefined {
    this.map.set(k, v);
    if (this.map.size <= this.capacity) return undefined;
    const oldest = this.map.keys().next().value as K;
    this.map.delete(oldest);
    return oldest;
  }

  delete(k: K): boolean {
    return this.map.delete(k);
  }

  get size(): number {
    return this.map.size;
  }

  values(): V[] {
    return [...this.map.values()];
  }
}
