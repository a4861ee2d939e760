/**
 * Where the demo keeps server-side state keyed by an opaque handle: sessions and pending
 * sign-ins. A small port in the manner of `@nestjs/throttler`'s storage: an in-process
 * implementation for one instance, a Redis one shared by several. Values are opaque
 * strings; entries vanish after their time to live.
 */
export interface SessionStore {
  /** The value under `key`, or undefined when absent or expired. Rejects when the store cannot answer. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds (replacing any previous value). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Reads and deletes `key` in one step, so that a value can be used once only. */
  take(key: string): Promise<string | undefined>;
  /**
   * Stores `value` under `key` for `ttlMs` only if `key` is absent: a lease that one caller
   * among all instances wins. True when this caller won.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key`; absent keys are fine. */
  delete(key: string): Promise<void>;
}

/** Injection token of the {@link SessionStore}. */
export const SessionStore = Symbol('SessionStore');
