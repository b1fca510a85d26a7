// The tab or worker that holds the store's Web Lock serves the others: it runs the calls
// they send (through its own store, so the core decides everything as for its own calls)
// and answers them, and it tells everyone when new events are durable. A follower in the
// context that started it (an OPFS store's page and its worker) may talk to it over a
// MessagePort instead: a direct message, where the BroadcastChannel goes through the browser.
import { Batcher, channelName, tabId, toTabError, type TabAnswer, type TabCall, type TabMessage } from './tab-channel.js';

/** Runs one forwarded call in the leader's store. */
export type Execute = (method: string, args: unknown[], onProgress: (progress: unknown) => void) => Promise<unknown>;

export class TabLeader {
  readonly id = tabId();
  readonly #channel: BroadcastChannel;
  readonly #execute: Execute;
  readonly #answers: Batcher<{ to: string; answer: TabAnswer }>;
  readonly #appended: Batcher<number>;
  readonly #running = new Set<Promise<void>>();
  readonly #local: MessagePort | undefined;
  /** Followers that sent their calls over the local port, answered there. */
  readonly #localFollowers = new Set<string>();
  #closing = false;
  /** Its channel is closed: an append that ends later has nobody to tell. */
  #closed = false;

  constructor(store: string, execute: Execute, local?: MessagePort) {
    this.#execute = execute;
    this.#channel = new BroadcastChannel(channelName(store));
    this.#channel.onmessage = ({ data }: MessageEvent<TabMessage>) => this.#receive(data, false);
    this.#local = local;
    if (local) local.onmessage = ({ data }: MessageEvent<TabMessage>) => this.#receive(data, true);
    this.#answers = new Batcher((answers) => this.#sendAnswers(answers));
    this.#appended = new Batcher((positions) => this.#post({ type: 'appended', position: Math.max(...positions) }));
    this.#announce();
  }

  /** Tells every tab that events up to `position` are durable (one message per turn). */
  appended(position: number): void {
    this.#appended.add(position);
  }

  /**
   * Stops taking calls and waits until those being run are answered. Calls that come later
   * stay unanswered: their followers send them again to the next leader.
   */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#answers.flush();
    this.#appended.flush();
    this.#channel.close();
    if (this.#local) this.#local.onmessage = null;  // the port outlives this leader: its context may lead again
    this.#closed = true;
  }

  #announce(): void {
    this.#postLocal({ type: 'leader', leader: this.id });
    this.#post({ type: 'leader', leader: this.id });
  }

  #receive(message: TabMessage, local: boolean): void {
    if (this.#closing) return;
    if (message.type === 'hello') this.#announce();
    else if (message.type === 'calls' && message.to === this.id) {
      if (local) this.#localFollowers.add(message.from);
      for (const call of message.calls) this.#run(message.from, call);
    }
  }

  #run(from: string, { id, method, args }: TabCall): void {
    const onProgress = (progress: unknown) => this.#postTo(from, { type: 'progress', to: from, id, progress });
    const running = this.#execute(method, args, onProgress).then(
      (value) => this.#answers.add({ to: from, answer: { id, value } }),
      (error) => this.#answers.add({ to: from, answer: { id, error: toTabError(error) } }),
    ).finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  #sendAnswers(answers: { to: string; answer: TabAnswer }[]): void {
    const local: Record<string, TabAnswer[]> = {};
    const broadcast: Record<string, TabAnswer[]> = {};
    for (const { to, answer } of answers) ((this.#localFollowers.has(to) ? local : broadcast)[to] ??= []).push(answer);
    if (Object.keys(local).length > 0) this.#postLocal({ type: 'answers', answers: local });
    if (Object.keys(broadcast).length > 0) this.#post({ type: 'answers', answers: broadcast });
  }

  /** A message for one follower: over the local port if that is where it called from. */
  #postTo(follower: string, message: TabMessage): void {
    if (this.#localFollowers.has(follower)) this.#postLocal(message);
    else this.#post(message);
  }

  #post(message: TabMessage): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }

  #postLocal(message: TabMessage): void {
    if (!this.#closed) this.#local?.postMessage(message);
  }
}
