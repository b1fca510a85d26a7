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
  /** The position of the group's newest event. */
  last: number;
  /** The position of the group's first stored event: the stored events follow it without gaps, dispatch by dispatch. */
  first?: number | null;
  /** Whether a store listened for appends when the group committed (its commit is to be announced). */
  listened?: boolean;
}

/** What one dispatch sends: `count` events; `bytes` bounds a group's size; `streams`: the aggregates it appends to. */
export interface Batch {
  count: number;
  bytes: number;
  streams: readonly string[];
}

/** A dispatch's answer; `newest`: the position of its newest event, when it stored any and the server said where. */
export interface Answered {
  outcome: Outcome;
  last: number;
  newest?: number | undefined;
}

interface Waiting<B extends Batch> {
  batch: B;
  resolve(answer: Answered): void;
  reject(error: unknown): void;
}

export class AppendGroups<B extends Batch> {
  #waiting: Waiting<B>[] = [];
  #inFlight = 0;
  /** Dispatches in the calls in flight. */
  #sent = 0;
  /** The aggregates of the calls in flight, with how many dispatches of those calls append to each. */
  readonly #busy = new Map<string, number>();
  #deferred = false;

  /**
   * `send` stores a group of dispatches in one call. At most `maxInFlight` calls run at once:
   * the server stores groups side by side (only taking positions one at a time), and while it
   * stores one, the dispatchers of the other get their answers and dispatch again. A
   * group holds at most `maxGroup` dispatches (a refused group goes dispatch by dispatch, and
   * PostgreSQL keeps up to 64 subtransactions per transaction cheaply) and about `maxBytes`.
   */
  constructor(
    private readonly send: (batches: readonly B[]) => Promise<GroupAnswer>,
    private readonly maxInFlight = 2,
    private readonly maxGroup = 60,
    private readonly maxBytes = 4 << 20,
  ) {}

  add(batch: B): Promise<Answered> {
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
      if (group.length === 0) return;  // each waits for a call in flight to its aggregates
      this.#inFlight++;
      this.#sent += group.length;
      this.#mark(group, 1);
      this.send(group.map((w) => w.batch)).then((answer) => {
        const { outcomes } = answer;
        if (outcomes && outcomes.length !== group.length) throw new Error(`the server answered ${outcomes.length} outcomes for ${group.length} dispatches`);
        // The stored events took the group's positions in order: each dispatch's come after the
        // ones stored for the dispatches before it.
        let before = 0;
        group.forEach((w, i) => {
          const outcome = outcomes?.[i];
          const stored = outcome === undefined ? w.batch.count : typeof outcome === 'number' ? outcome : 0;
          const newest = answer.first == null || stored === 0 ? undefined : Number(answer.first) + before + stored - 1;
          before += stored;
          w.resolve({ outcome, last: Number(answer.last), newest });
        });
      }).catch((error) => {
        for (const w of group) w.reject(error);
      }).finally(() => {
        this.#inFlight--;
        this.#sent -= group.length;
        this.#mark(group, -1);
        this.#next(group.length);
      });
    }
  }

  #mark(group: readonly Waiting<B>[], by: 1 | -1): void {
    for (const { batch } of group) {
      for (const stream of batch.streams) {
        const count = (this.#busy.get(stream) ?? 0) + by;
        if (count === 0) this.#busy.delete(stream);
        else this.#busy.set(stream, count);
      }
    }
  }

  /**
   * The dispatches waiting and those in flight are shared evenly between the calls that may
   * run at once: while the server stores one group, the dispatchers of the other get their
   * answers and dispatch again. (Taking every waiting dispatch would settle into one large
   * group and one of a single dispatch, each waiting for the other.)
   *
   * A dispatch to an aggregate that a call in flight appends to waits for that call (and so
   * does every later one to its aggregates): calls in flight are stored side by side, so a
   * dispatch made before the one it follows was acknowledged would not find it stored.
   */
  #takeGroup(): Waiting<B>[] {
    const share = Math.ceil((this.#waiting.length + this.#sent) / this.maxInFlight);
    const most = Math.min(this.maxGroup, Math.max(1, share));
    const group: Waiting<B>[] = [];
    const held: Waiting<B>[] = [];
    let heldStreams: Set<string> | undefined;
    let bytes = 0;
    let i = 0;
    for (; i < this.#waiting.length && group.length < most; i++) {
      const waiting = this.#waiting[i]!;
      const { streams } = waiting.batch;
      if (streams.some((s) => this.#busy.has(s) || heldStreams?.has(s))) {
        heldStreams ??= new Set();
        for (const s of streams) heldStreams.add(s);
        held.push(waiting);
        continue;
      }
      if (group.length > 0 && bytes + waiting.batch.bytes > this.maxBytes) break;
      bytes += waiting.batch.bytes;
      group.push(waiting);
    }
    if (held.length === 0) this.#waiting.splice(0, i);
    else this.#waiting = [...held, ...this.#waiting.slice(i)];
    return group;
  }
}
