// Subscriptions: catch up from a global position, then follow new events, in global order.
// A named subscription stores its checkpoint in the store after each page it handled, so a
// restarted process resumes after the last checkpoint: delivery is at least once.
import { eventFilter } from './event-filter.js';
import { checkOptionKeys } from '../core/options.js';
import { checkName } from '../core/core.js';
import { AtomServicesError, invalidArgument } from '../core/errors.js';
import type { IEvent, IEventStore, SubscribeOptions, SubscriptionHandler } from '../types.js';



/** What a subscription needs from its service. */
export interface SubscriptionHost {
  store: IEventStore;
  upcast(event: IEvent): IEvent;
  /** How many appends the service has heard of so far. */
  appends(): number;
  /**
   * Resolves after the next append through the service, or at once when there were more than
   * `since` (an append while the subscription read), or after a short while (appends made
   * elsewhere are polled for).
   */
  nextAppend(since: number): Promise<void>;
  /** Makes the service's appends wait until `until` settled. */
  holdAppends(until: Promise<unknown>): void;
  report(error: AtomServicesError): void;
}

const PAGE = 500;
const OPTION_KEYS = ['from', 'EventName', 'AggregateType', 'name'];

export function checkSubscribeOptions(options: unknown): asserts options is SubscribeOptions {
  checkOptionKeys(options, 'options', OPTION_KEYS, 'a subscription option');
  const { from, EventName, AggregateType, name } = options as SubscribeOptions;
  if (from !== undefined && from !== 'start' && from !== 'end' && !(Number.isSafeInteger(from) && (from as number) >= 1)) {
    throw invalidArgument('options.from', 'must be "start", "end" or a global position (an integer ≥ 1)');
  }
  const names = typeof EventName === 'string' ? [EventName] : EventName;
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === ''))) {
    throw invalidArgument('options.EventName', 'must be an event name or a list of them');
  }
  if (AggregateType !== undefined && (typeof AggregateType !== 'string' || AggregateType === '')) {
    throw invalidArgument('options.AggregateType', 'must be a non-empty string');
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw invalidArgument('options.name', 'must be a non-empty string');
  // The core's rules for names, which the store applies to the checkpoint's name: refused
  // here, not after the first page.
  if (name !== undefined) checkName('options.name', name);
}

export class Subscription {
  readonly #host: SubscriptionHost;
  readonly #options: SubscribeOptions;
  readonly #handler: SubscriptionHandler;
  readonly #wanted: (event: IEvent) => boolean;
  #stopped = false;
  #caughtUp: (() => void) | undefined;
  // Ends the wait for new events early: stop() must not wait for the next poll.
  #wake: (() => void) | undefined;
  /** Resolves once the subscription has handled every event that existed when it started. */
  readonly caughtUp: Promise<void>;
  /** Settles when the subscription stopped. */
  readonly done: Promise<void>;
  /** The next global position to read. */
  position = 1;
  /** Why the subscription stopped by itself (its handler or the store failed). */
  error: AtomServicesError | undefined;
  // 'end' is where the log ended when subscribe() was called: read at once, and the service's
  // appends wait for it, so an event dispatched right after subscribe() returned is delivered.
  readonly #end: Promise<number> | undefined;

  constructor(host: SubscriptionHost, options: SubscribeOptions, handler: SubscriptionHandler) {
    this.#host = host;
    this.#options = options;
    this.#handler = handler;
    this.#wanted = eventFilter(options.EventName, options.AggregateType);
    this.caughtUp = new Promise((resolve) => { this.#caughtUp = resolve; });
    if (options.from === 'end') {
      this.#end = lastPosition(host.store);
      this.#end.catch(() => {});  // reported by #run
      host.holdAppends(this.#end);
    }
    this.done = this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  #nextAppend(since: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();  // stopped while it read
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      void this.#host.nextAppend(since).then(resolve);
    }).finally(() => { this.#wake = undefined; });
  }

  async #start(): Promise<number> {
    const { store } = this.#host;
    const { name, from = 'start' } = this.#options;
    if (name !== undefined) {
      const checkpoint = await store.getCheckpoint!(name);
      if (checkpoint !== undefined) return checkpoint + 1;
    }
    if (from === 'start') return 1;
    if (from !== 'end') return from;
    const end = await this.#end!;
    // Where 'end' was, kept: a process that restarts before this one handled anything resumes
    // there, not at the end of its own time, so no event appended in between is missed.
    if (name !== undefined) await store.putCheckpoint!(name, end);
    return end + 1;
  }

  async #run(): Promise<void> {
    try {
      this.position = await this.#start();
      while (!this.#stopped) {
        const appends = this.#host.appends();
        const page = await this.#host.store.readAll({ fromPosition: this.position, limit: PAGE });
        if (page.length === 0) {
          this.#caughtUp?.();
          await this.#nextAppend(appends);
          continue;
        }
        await this.#handle(page);
        if (page.length < PAGE) this.#caughtUp?.();
      }
    } catch (error) {
      const name = this.#options.name ? ` '${this.#options.name}'` : '';
      this.error = error instanceof AtomServicesError ? error
        : new AtomServicesError('HANDLER_FAILED', `subscription${name} stopped at position ${this.position}: ${error instanceof Error ? error.message : String(error)}`, {}, error);
      this.#host.report(this.error);
    } finally {
      this.#stopped = true;
      this.#caughtUp?.();
    }
  }

  async #handle(page: { position: number; event: IEvent }[]): Promise<void> {
    const { name } = this.#options;
    let failure: { error: unknown } | undefined;
    try {
      for (const { position, event } of page) {
        if (this.#stopped) break;
        const current = this.#host.upcast(event);
        if (this.#wanted(current)) await this.#handler(current, position);
        this.position = position + 1;
      }
    } catch (error) {
      failure = { error };
    }
    // Record what was handled, even when a handler failed: a restart resumes at the failed
    // event. The handler's error is the one reported, should the checkpoint fail too.
    if (name !== undefined && this.position > page[0]!.position) {
      try {
        await this.#host.store.putCheckpoint!(name, this.position - 1);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

async function lastPosition(store: IEventStore): Promise<number> {
  if (store.getLastPosition) return store.getLastPosition();
  let position = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: position + 1, limit: 10000 });
    if (page.length === 0) return position;
    position = page[page.length - 1]!.position;
  }
}
