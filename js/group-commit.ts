// Group commit: every caller waiting for durability is served by the next flush, and a
// flush never overlaps another. Concurrent appends thus share one fsync or one IndexedDB
// transaction instead of paying one each.
// A flush starts as soon as the first caller waits (after the current microtasks, so a
// synchronous burst joins it): callers who append while it runs form the next group, so
// appending and flushing overlap instead of taking turns.

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  #waiting: Waiter[] = [];
  #busy = false;
  readonly #flush: () => Promise<void>;

  constructor(flush: () => Promise<void>) {
    this.#flush = flush;
  }

  /** Resolves after a flush that started after this call has completed. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#start();
    });
  }

  #start(): void {
    if (this.#busy) return;
    this.#busy = true;
    queueMicrotask(() => { void this.#run(); });
  }

  async #run(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      await this.#flush();
      for (const waiter of batch) waiter.resolve();
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    } finally {
      this.#busy = false;
      if (this.#waiting.length > 0) this.#start();
    }
  }
}
