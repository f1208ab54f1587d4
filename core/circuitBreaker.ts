// A circuit breaker: after `failureThreshold` consecutive failures it opens and refuses attempts for
// `coolDownMs`, then lets one trial through (half-open); a success closes it, a failure re-opens it.
// Time comes only from the injected clock, so tests step it by hand.
import { TickflowError } from "./errors.ts";

export type CircuitState = "closed" | "open" | "half-open";

/** Milliseconds on any monotonic scale (the live clock or a test clock). */
export interface BreakerClock {
  nowMs(): number;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 3. */
  readonly failureThreshold?: number;
  /** How long an open circuit refuses attempts before allowing one trial. Default 60 000 ms. */
  readonly coolDownMs?: number;
  readonly clock: BreakerClock;
  /** Called on every state change (for a log line or a metric). */
  readonly onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

/** Thrown by `run` when the circuit refuses an attempt. */
export class CircuitOpenError extends TickflowError {
  static override readonly code = "CIRCUIT_OPEN";
  override readonly name = "CircuitOpenError";
  constructor(
    message: string,
    /** Clock time (ms) from which a trial is allowed. */
    readonly retryAtMs: number,
  ) {
    super(message);
  }
}

/**
 * @example
 * const breaker = new CircuitBreaker("model deploys", { failureThreshold: 3, coolDownMs: 60_000, clock });
 * if (breaker.tryAcquire()) { try { await load(); breaker.recordSuccess(); } catch (e) { breaker.recordFailure(); } }
 */
export class CircuitBreaker {
  private stateNow: CircuitState = "closed";
  private failures = 0;
  private openedAtMs = 0;
  private trippedAt?: number;
  private trialInFlight = false;
  readonly failureThreshold: number;
  readonly coolDownMs: number;

  constructor(
    readonly name: string,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.failureThreshold = options.failureThreshold ?? 3;
    this.coolDownMs = options.coolDownMs ?? 60_000;
    if (!(Number.isInteger(this.failureThreshold) && this.failureThreshold >= 1)) {
      throw new Error(`circuit breaker ${name}: failureThreshold must be an integer >= 1, got ${this.failureThreshold}`);
    }
    if (!(this.coolDownMs >= 0)) throw new Error(`circuit breaker ${name}: coolDownMs must be >= 0, got ${this.coolDownMs}`);
  }

  /** The state now; an open circuit whose cool-down has passed reads as half-open. */
  get state(): CircuitState {
    if (this.stateNow === "open" && this.options.clock.nowMs() - this.openedAtMs >= this.coolDownMs) this.transition("half-open");
    return this.stateNow;
  }

  /** Consecutive failures counted so far (reset by a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Clock time (ms) the circuit last left closed, kept through open → half-open → open cycles (how long the outage
   * has lasted); undefined while closed.
   */
  get trippedAtMs(): number | undefined {
    return this.trippedAt;
  }

  /** Clock time (ms) from which an open circuit allows a trial. */
  get retryAtMs(): number {
    return this.openedAtMs + this.coolDownMs;
  }

  /**
   * Whether an attempt may go ahead now. Closed: yes. Open: no. Half-open: yes for exactly one trial
   * until its outcome is recorded.
   */
  tryAcquire(): boolean {
    switch (this.state) {
      case "closed":
        return true;
      case "open":
        return false;
      case "half-open":
        if (this.trialInFlight) return false;
        this.trialInFlight = true;
        return true;
    }
  }

  recordSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.trippedAt = undefined;
    if (this.stateNow !== "closed") this.transition("closed");
  }

  recordFailure(): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.stateNow === "half-open" || (this.stateNow === "closed" && this.failures >= this.failureThreshold)) {
      this.openedAtMs = this.options.clock.nowMs();
      this.trippedAt ??= this.openedAtMs;
      this.transition("open");
    }
  }

  /** Runs `attempt` through the breaker; throws CircuitOpenError without calling it when refused. */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    if (!this.tryAcquire()) {
      throw new CircuitOpenError(
        `circuit breaker ${this.name} is ${this.stateNow} after ${this.failures} consecutive failures; next trial allowed in ${Math.max(0, this.retryAtMs - this.options.clock.nowMs())} ms`,
        this.retryAtMs,
      );
    }
    try {
      const result = await attempt();
      this.recordSuccess();
      return result;
    } catch (e) {
      this.recordFailure();
      throw e;
    }
  }

  private transition(to: CircuitState): void {
    const from = this.stateNow;
    if (from === to) return;
    this.stateNow = to;
    this.options.onStateChange?.(from, to);
  }
}
