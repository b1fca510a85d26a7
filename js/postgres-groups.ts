// Group commit for a store behind a server: dispatches made while earlier calls are in flight
// ride together in the next call, so they share one round trip and one commit. With no
// contention a dispatch goes at once, alone: grouping adds no latency.

// Node's (the PostgreSQL store runs in Node only; the package's typings do not assume Node).
declare const setImmediate: (callback: () => void) => unknown;

/** Per dispatch of a group: the events it added, or its error's SQLSTATE and detail; undefined: all of its events. */
export type Outcome = number | [code: string, detail: string] | undefined;

export interface GroupAnswer {
  /** Null when every dispatch stored all of its events. */
  outcomes: Outcome[] | null;
  /** The newest position once the group was stored. */
  last: number;
}

/** What one dispatch sends; `bytes` bounds a group's size. */
export interface Batch {
  bytes: number;
}

interface Waiting<B extends Batch> {
  batch: B;
  resolve(answer: { outcome: Outcome; last: number }): void;
  reject(error: unknown): void;
}

export class AppendGroups<B extends Batch> {
  readonly #waiting: Waiting<B>[] = [];
  #inFlight = 0;
  /** Dispatches in the calls in flight. */
  #sent = 0;
  #deferred = false;

  /**
   * `send` stores a group of dispatches in one call. At most `maxInFlight` calls run at once:
   * the server stores one group at a time, so a second call only overlaps its round trip with
   * the other's commit, and the dispatches that wait meanwhile make the next group larger. A
   * group holds at most `maxGroup` dispatches (a refused group goes dispatch by dispatch, and
   * PostgreSQL keeps up to 64 subtransactions per transaction cheaply) and about `maxBytes`.
   */
  constructor(
    private readonly send: (batches: readonly B[]) => Promise<GroupAnswer>,
    private readonly maxInFlight = 2,
    private readonly maxGroup = 60,
    private readonly maxBytes = 4 << 20,
  ) {}

  add(batch: B): Promise<{ outcome: Outcome; last: number }> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      if (!this.#deferred) this.#pump();
    });
  }

  /**
   * After a group of several dispatches, the next group waits one turn of the event loop, so
   * that the dispatchers it just answered can dispatch again and ride in it, rather than the
   * first of them going alone. After a lone dispatch it goes at once.
   */
  #next(answered: number): void {
    if (answered <= 1) return this.#pump();
    this.#deferred = true;
    setImmediate(() => {
      this.#deferred = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.maxInFlight && this.#waiting.length > 0) {
      const group = this.#takeGroup();
      this.#inFlight++;
      this.#sent += group.length;
      this.send(group.map((w) => w.batch)).then((answer) => {
        const { outcomes } = answer;
        if (outcomes && outcomes.length !== group.length) throw new Error(`the server answered ${outcomes.length} outcomes for ${group.length} dispatches`);
        group.forEach((w, i) => w.resolve({ outcome: outcomes?.[i], last: Number(answer.last) }));
      }).catch((error) => {
        for (const w of group) w.reject(error);
      }).finally(() => {
        this.#inFlight--;
        this.#sent -= group.length;
        this.#next(group.length);
      });
    }
  }

  /**
   * The dispatches waiting and those in flight are shared evenly between the calls that may
   * run at once: while the server stores one group, the dispatchers of the other get their
   * answers and dispatch again. (Taking every waiting dispatch would settle into one large
   * group and one of a single dispatch, each waiting for the other.)
   */
  #takeGroup(): Waiting<B>[] {
    const share = Math.ceil((this.#waiting.length + this.#sent) / this.maxInFlight);
    const most = Math.min(this.maxGroup, Math.max(1, share));
    let count = 0;
    let bytes = 0;
    while (count < this.#waiting.length && count < most && (count === 0 || bytes + this.#waiting[count]!.batch.bytes <= this.maxBytes)) {
      bytes += this.#waiting[count]!.batch.bytes;
      count++;
    }
    return this.#waiting.splice(0, count);
  }
}
