// A tab or worker that does not hold the store: it sends its store calls to the leader and
// settles each one with the leader's answer. A call is sent only to a leader that announced
// itself, so a leader never runs a call twice; when another leader announces itself (the old
// one closed or died), every call still unanswered is sent to it again. Appends are
// idempotent by _id, so one that the old leader stored before it died is not stored twice.
// A follower may also have a MessagePort to the context it started (an OPFS store's worker):
// calls to a leader that announced itself there go over the port, the direct way.
import { invalidArgument } from '../core/errors.js';
import { Batcher, channelName, fromTabError, tabId, type TabAnswer, type TabCall, type TabMessage } from './tab-channel.js';

interface Pending extends TabCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: (progress: unknown) => void;
  /** The leader it was last sent to. */
  sentTo?: string;
  /** Sent to an earlier leader too: it may have run there already. */
  retried: boolean;
}

export class TabFollower {
  readonly id = tabId();
  readonly #channel: BroadcastChannel;
  readonly #pending = new Map<number, Pending>();
  readonly #outbox: Batcher<Pending>;
  readonly #onAppended: () => void;
  readonly #local: MessagePort | undefined;
  #leader: string | undefined;
  /** The last leader that announced itself over the local port. */
  #localLeader: string | undefined;
  #next = 1;

  /** `onAppended` runs when events may have been appended by anyone (a new leader, or its broadcast). */
  constructor(store: string, onAppended: () => void, local?: MessagePort) {
    this.#onAppended = onAppended;
    this.#channel = new BroadcastChannel(channelName(store));
    this.#channel.onmessage = ({ data }: MessageEvent<TabMessage>) => this.#receive(data);
    this.#local = local;
    if (local) {
      local.onmessage = ({ data }: MessageEvent<TabMessage>) => {
        if (data.type === 'leader') this.#localLeader = data.leader;
        this.#receive(data);
      };
    }
    this.#outbox = new Batcher((calls) => this.#send(calls));
    this.#post({ type: 'hello' });
  }

  /** Runs `method` in the leader; resolves with its answer. Says whether it was retried after a handover. */
  call<T>(method: string, args: unknown[], onProgress?: (progress: unknown) => void): Promise<{ value: T; retried: boolean }> {
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        id: this.#next++, method, args, onProgress, retried: false, reject,
        resolve: (value) => resolve({ value: value as T, retried: pending.retried }),
      };
      this.#pending.set(pending.id, pending);
      if (this.#leader !== undefined) this.#outbox.add(pending);
    });
  }

  /** Resolves once every call made so far is answered. */
  async settled(): Promise<void> {
    const calls = [...this.#pending.values()].map((p) => new Promise<void>((done) => {
      const { resolve, reject } = p;
      p.resolve = (value) => { resolve(value); done(); };
      p.reject = (error) => { reject(error); done(); };
    }));
    await Promise.all(calls);
  }

  /** Rejects every call still unanswered (this store could not take the store over). */
  failAll(error: unknown): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /**
   * This store took the lock while closing: it runs its calls still unanswered itself, as a
   * new leader would (one sent before counts as retried: the old leader may have run it).
   */
  runHere(run: (method: string, args: unknown[], onProgress?: (progress: unknown) => void) => Promise<unknown>): void {
    for (const pending of [...this.#pending.values()]) {
      this.#pending.delete(pending.id);
      if (pending.sentTo !== undefined) pending.retried = true;
      run(pending.method, pending.args, pending.onProgress).then((value) => pending.resolve(value), (error) => pending.reject(error));
    }
  }

  close(): void {
    this.#channel.close();
    this.#local?.close();
  }

  #receive(message: TabMessage): void {
    switch (message.type) {
      case 'leader': return this.#follow(message.leader);
      case 'answers': return this.#settle(message.answers[this.id]);
      case 'progress':
        if (message.to === this.id) this.#pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'appended': return this.#onAppended();
      default:
    }
  }

  #follow(leader: string): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    for (const pending of this.#pending.values()) {
      if (pending.sentTo !== undefined) pending.retried = true;
      this.#outbox.add(pending);
    }
    this.#onAppended();  // the last leader may have gone before it told about its last events
  }

  #settle(answers: TabAnswer[] | undefined): void {
    for (const answer of answers ?? []) {
      const pending = this.#pending.get(answer.id);
      if (!pending) continue;  // answered already, by an earlier leader
      this.#pending.delete(answer.id);
      if ('error' in answer) pending.reject(fromTabError(answer.error));
      else pending.resolve(answer.value);
    }
  }

  #send(calls: Pending[]): void {
    const to = this.#leader as string;
    const fresh = calls.filter((p) => this.#pending.has(p.id) && p.sentTo !== to);
    if (fresh.length === 0) return;
    for (const p of fresh) p.sentTo = to;
    const wire = (list: Pending[]) => list.map(({ id, method, args }) => ({ id, method, args }));
    try {
      this.#post({ type: 'calls', from: this.id, to, calls: wire(fresh) });
    } catch {
      // Something in one call cannot be copied to another tab: send them one by one to find it.
      for (const p of fresh) {
        try {
          this.#post({ type: 'calls', from: this.id, to, calls: wire([p]) });
        } catch {
          this.#pending.delete(p.id);
          p.reject(invalidArgument(`${p.method}() arguments`, 'must be plain data (they are sent to the tab that holds the store)'));
        }
      }
    }
  }

  #post(message: TabMessage): void {
    if (message.type === 'calls' && message.to === this.#localLeader) this.#local?.postMessage(message);
    else this.#channel.postMessage(message);
  }
}
