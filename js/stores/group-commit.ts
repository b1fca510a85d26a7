// Group commit: every caller waiting for durability is served by the next flush, so
// concurrent appends share one fsync or one IndexedDB transaction instead of paying one
// each. A flush starts as soon as the first caller waits (after the current microtasks, so
// a synchronous burst joins it); callers who append while it runs form the next group.
// With depth > 1 the next flush may start before the previous one completed, so callers
// appending overlap the wait for the disk; a group is acknowledged only once every earlier
// flush has completed too. A group reaching maxGroup callers starts its flush at once,
// which splits a crowd of callers moving in step into groups that take turns.

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  #waiting: Waiter[] = [];
  #scheduled = false;
  #inFlight = 0;
  #previous: Promise<void> = Promise.resolve();
  readonly #flush: () => Promise<void>;
  readonly #depth: number;
  readonly #maxGroup: number;

  /** `flush` must start its work synchronously: flushes reach the disk in the order they are called. */
  constructor(flush: () => Promise<void>, depth = 1, maxGroup = Infinity) {
    this.#flush = flush;
    this.#depth = depth;
    this.#maxGroup = maxGroup;
  }

  /** Resolves after a flush that started after this call has completed, and every flush before it. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#waiting.length >= this.#maxGroup) this.#run();
      else this.#start();
    });
  }

  #start(): void {
    if (this.#scheduled || this.#inFlight >= this.#depth) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#run();
    });
  }

  #run(): void {
    if (this.#waiting.length === 0 || this.#inFlight >= this.#depth) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#inFlight++;
    let flushed: Promise<void>;
    try {
      flushed = this.#flush();
    } catch (error) {
      flushed = Promise.reject(error);
    }
    // A failed flush fails every later group too: their bytes may follow its bytes.
    const settled = Promise.all([this.#previous, flushed]).then(() => undefined);
    this.#previous = settled;
    settled.then(
      () => { for (const waiter of batch) waiter.resolve(); },
      (error) => { for (const waiter of batch) waiter.reject(error); },
    ).finally(() => {
      this.#inFlight--;
      if (this.#waiting.length > 0) this.#start();
    });
  }
}
