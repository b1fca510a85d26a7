// Projections: read models folded over the global log, one state per key, kept current by a
// subscription and rebuildable from scratch.
import { AtomServicesError, invalidArgument } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import { checkSubscribeOptions, type Subscription } from './subscription.js';
import type { IEvent, Progress, ProjectionDefinition, SubscribeOptions, SubscriptionHandler } from '../types.js';



/** What a projection needs from its service. */
export interface ProjectionHost {
  /** Refuses new subscriptions from the moment the service is closing (STORE_CLOSED). */
  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription;
  lastPosition(): Promise<number>;
  checkOpen(): void;
}

export class Projection<S, E extends IEvent = IEvent> {
  readonly #definition: ProjectionDefinition<S, E>;
  readonly #host: ProjectionHost;
  #states = new Map<string, S>();
  #subscription: Subscription;
  /** The latest rebuild: the next waits for it, so that one subscription folds at a time. */
  #rebuilding: Promise<void> | undefined;

  constructor(definition: ProjectionDefinition<S, E>, host: ProjectionHost) {
    if (typeof definition !== 'object' || definition === null) throw invalidArgument('definition', 'must be an object { reducer, initialState, key?, EventName?, AggregateType? }');
    checkOptionKeys(definition, 'definition', ['reducer', 'initialState', 'key', 'EventName', 'AggregateType'], 'a projection option');
    if (typeof definition.reducer !== 'function') throw invalidArgument('definition.reducer', 'must be a function (state, event) => state');
    if (definition.key !== undefined && typeof definition.key !== 'function') throw invalidArgument('definition.key', 'must be a function (event) => string');
    checkSubscribeOptions({ EventName: definition.EventName, AggregateType: definition.AggregateType });
    try {
      structuredClone(definition.initialState);  // each key's state starts as a copy of it
    } catch {
      throw invalidArgument('definition.initialState', 'must be data that structuredClone can copy (no functions, class instances with private state, or DOM nodes)');
    }
    this.#definition = definition;
    this.#host = host;
    this.#subscription = this.#start();
  }

  #start(onEvent?: (position: number) => void): Subscription {
    const { EventName, AggregateType, reducer, initialState, key } = this.#definition;
    const states = this.#states;
    return this.#host.subscribe({ from: 'start', EventName, AggregateType }, (event, position) => {
      try {
        const id = key ? key(event as E) : event.AggregateID;
        if (typeof id !== 'string') throw invalidArgument('key(event)', `must return a string, got ${typeof id}`);
        states.set(id, reducer(states.has(id) ? states.get(id) as S : structuredClone(initialState), event as E));
      } catch (error) {
        throw projectionFailed(error, event, position);
      }
      onEvent?.(position);
    });
  }

  /**
   * Why the projection stopped following the log: its reducer or key function threw, or
   * the store failed. Its states then stay as they were before the failed event; rebuild()
   * starts over.
   */
  get error(): AtomServicesError | undefined {
    return this.#subscription.error;
  }

  get(key: string): S | undefined {
    return this.#states.get(key);
  }
  has(key: string): boolean {
    return this.#states.has(key);
  }
  keys(): IterableIterator<string> {
    return this.#states.keys();
  }
  entries(): IterableIterator<[string, S]> {
    return this.#states.entries();
  }
  get size(): number {
    return this.#states.size;
  }
  /** The next global position the projection will read. */
  get position(): number {
    return this.#subscription.position;
  }

  /** Resolves once every event stored when the projection started is folded in; rejects with `error` once it failed. */
  async ready(): Promise<void> {
    const subscription = this.#subscription;
    await subscription.caughtUp;
    if (subscription.error) throw subscription.error;
  }

  /** Folds the whole log again from an empty read model; `onProgress` hears how far it got. */
  async rebuild(onProgress?: (progress: Progress) => void): Promise<void> {
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArgument('onProgress', 'must be a function ({ done, total }) => void');
    this.#host.checkOpen();
    const rebuilding = (this.#rebuilding ?? Promise.resolve()).catch(() => {}).then(() => this.#rebuildNow(onProgress));
    this.#rebuilding = rebuilding;
    return rebuilding;
  }

  async #rebuildNow(onProgress?: (progress: Progress) => void): Promise<void> {
    this.#subscription.stop();
    await this.#subscription.done;
    const total = await this.#host.lastPosition();
    this.#states = new Map();
    let last = 0;
    this.#subscription = this.#start((position) => {
      if (onProgress && position - last >= 1000) {
        last = position;
        onProgress({ done: position, total: Math.max(total, position) });
      }
    });
    await this.ready();
    const done = this.#subscription.position - 1;
    onProgress?.({ done, total: Math.max(total, done) });
  }

  /** Stops following the log; the states stay readable. */
  async stop(): Promise<void> {
    this.#subscription.stop();
    await this.#subscription.done;
  }
}

function projectionFailed(error: unknown, event: IEvent, position: number): AtomServicesError {
  const text = error instanceof Error ? error.message : String(error);
  return new AtomServicesError('HANDLER_FAILED', `the projection stopped at position ${position} (${event.EventName} ${event._id}): ${text}`,
    { eventId: event._id, AggregateType: event.AggregateType, AggregateID: event.AggregateID }, error);
}
