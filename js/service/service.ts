import { appendsEncoded, callCore, validatesEvents, writeInput, type CoreValidating } from '../core/core.js';
import { encodeEvents, encodeRequest } from '../core/encode.js';
import { AtomServicesError, asStoreError, atCaller, invalidArgument, kindOf, storeClosed } from '../core/errors.js';
import { checkHandler } from './handlers.js';
import { InstantEventBus } from './instant-event-bus.js';
import { MemoryEventStore } from '../stores/memory-store.js';
import { NativeEventStore } from '../stores/native-store.js';
import { NativeReducer } from '../core/native-reducer.js';
import { checkOptionKeys } from '../core/options.js';
import { Projection } from './projection.js';
import { checkRehydrateOptions, rehydrateInPages } from './rehydration.js';
import { Subscription, checkSubscribeOptions } from './subscription.js';
import type {
  AppendResult, IEvent, IEventBus, IEventStore, IReducer, ProjectionDefinition, ReadStreamOptions, Rehydrated, RehydrateOptions, ServiceOptions,
  SubscribeOptions, SubscriptionHandler,
} from '../types.js';

/** Called once the store and every matching handler finished; `err` says what failed. */
export type Notified = (err?: AtomServicesError) => void;

export interface IService {
  /** Eventual consistency: resolves once the store appended the events; handlers run after. */
  dispatch(events: IEvent | readonly IEvent[]): Promise<void>;
  /** Strong consistency: `notified` runs after the store and every handler; the Promise never rejects. */
  dispatch(events: IEvent | readonly IEvent[], notified: Notified): Promise<void>;
  getEvents<E extends IEvent = IEvent>(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<E[]>;
  getVersion(AggregateType: string, AggregateID: string): Promise<number>;
  /** Folds the aggregate's events with a JS reducer. */
  rehydrate<S, E extends IEvent = IEvent>(
    AggregateType: string, AggregateID: string, reducer: IReducer<S, E>, initialState: S, options?: RehydrateOptions): Promise<Rehydrated<S>>;
  /** Folds the aggregate's events with a native reducer, inside the core. */
  rehydrate<S>(AggregateType: string, AggregateID: string, reducer: NativeReducer<S>, options?: RehydrateOptions): Promise<Rehydrated<S>>;
  /** Catches up from a global position, then follows new events; returns an unsubscribe function. */
  subscribe<E extends IEvent = IEvent>(options: SubscribeOptions, handler: SubscriptionHandler<E>): () => void;
  /** A read model folded over the global log, kept current, queryable by key. */
  project<S, E extends IEvent = IEvent>(definition: ProjectionDefinition<S, E>): Projection<S, E>;
  /** Listens to errors that have no caller to go to (handlers in eventual mode). */
  onError(listener: (error: AtomServicesError) => void): () => void;
  /** Waits for dispatches in flight, removes the handlers and closes the store. */
  close(): Promise<void>;
}

let defaultStore: () => IEventStore = () => new MemoryEventStore();

/** Set by the platform entry: files in Node, IndexedDB in browsers. */
export function setDefaultStore(create: () => IEventStore): void {
  defaultStore = create;
}

const STORE_METHODS = ['append', 'readStream', 'readAll', 'getVersion', 'getEvent', 'close'] as const;
const BUS_METHODS = ['subscribe', 'publish'] as const;
const OPTION_KEYS = ['EventStore', 'EventBus', 'EventHandlers', 'Upcasters'];
const MAX_UPCASTS = 16;
// Appends made other than through this service are noticed by subscriptions within this time.
const POLL_MS = 500;

/** Runs `run` after the current turn: a dispatch resolves before its handlers start. */
const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
const afterThisTurn = (run: () => void): void => {
  if (immediate) immediate(run);
  else setTimeout(run, 0);
};

function fingerprint(upcasters: ReadonlyMap<string, unknown>): string {
  const text = [...upcasters].map(([name, fn]) => `${name}=${String(fn)}`).join('\n');
  if (text === '') return '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `+upcasters:${hash.toString(16)}`;
}

function checkImplements(value: unknown, field: string, contract: string, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) throw invalidArgument(field, `must be an object implementing ${contract}`);
  const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw invalidArgument(field, `must implement ${contract}; missing: ${missing.join(', ')}`);
}

function checkOptions(options: unknown): asserts options is ServiceOptions {
  checkOptionKeys(options, 'options', OPTION_KEYS, 'an option of createService', '');
  const { EventStore, EventBus, EventHandlers, Upcasters } = options as ServiceOptions;
  if (Upcasters !== undefined) {
    if (typeof Upcasters !== 'object' || Upcasters === null || Array.isArray(Upcasters)) {
      throw invalidArgument('Upcasters', 'must be an object mapping an EventName to a function (event) => event');
    }
    for (const [name, upcast] of Object.entries(Upcasters)) {
      if (typeof upcast !== 'function') throw invalidArgument(`Upcasters.${name}`, 'must be a function (event) => event');
    }
  }
  if (EventStore !== undefined) checkImplements(EventStore, 'EventStore', 'IEventStore', STORE_METHODS);
  if (EventBus !== undefined) checkImplements(EventBus, 'EventBus', 'IEventBus', BUS_METHODS);
  if (EventHandlers !== undefined) {
    if (!Array.isArray(EventHandlers)) throw invalidArgument('EventHandlers', 'must be an array of handlers');
    EventHandlers.forEach((handler, i) => checkHandler(handler, `EventHandlers[${i}]`));
  }
}

// What an upcaster may not change: the event's identity and place in its stream.
const KEPT_BY_UPCASTERS = ['_id', '_version', '_createdAt', '_createdBy', 'AggregateType', 'AggregateID'] as const;
const EVENT_KEYS = new Set<string>([...KEPT_BY_UPCASTERS, 'EventName', 'payloads', 'metadata']);

function checkUpcast(stored: IEvent, upcast: IEvent, from: string): void {
  const changed = KEPT_BY_UPCASTERS.find((key) => upcast[key] !== stored[key]) ?? Object.keys(upcast).find((key) => !EVENT_KEYS.has(key));
  if (changed === undefined) return;
  throw new AtomServicesError('INVALID_ARGUMENT', `the upcaster of ${from} returned an event whose ${changed} ${EVENT_KEYS.has(changed) ? 'differs from the stored one' : 'is not a field of events'}; an upcaster changes only EventName, payloads and metadata`,
    { field: `Upcasters.${from}` });
}

class Service implements IService {
  readonly #store: IEventStore;
  readonly #bus: IEventBus;
  readonly #unsubscribes: (() => void)[];
  readonly #listeners = new Set<(error: AtomServicesError) => void>();
  // Dispatches and publications not yet settled, and who waits for them all (close()).
  #inFlight = 0;
  #settled: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #subscriptions = new Set<Subscription>();
  // A Map: event names are the user's, and `constructor` or `__proto__` must find no prototype.
  readonly #upcasters: ReadonlyMap<string, (event: IEvent) => IEvent>;
  readonly #upcasterFingerprint: string;
  // Made only when a subscription waits for the next append, so a dispatch allocates none.
  #appended: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Appends heard of (through this service, or from the store's watch). */
  #appends = 0;
  /** Set while a subscription from 'end' learns where the log ends: appends wait for it. */
  #appendGate: Promise<unknown> | undefined;
  /** Per aggregate, the newest publication's settling (see #publishInOrder). */
  readonly #lastPublished = new Map<string, Promise<void>>();
  #unwatch: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  // Set once close() drained every dispatch (and what its handlers dispatched).
  #closed = false;

  constructor(options: ServiceOptions) {
    this.#store = options.EventStore ?? defaultStore();
    this.#bus = options.EventBus ?? new InstantEventBus();
    this.#unsubscribes = (options.EventHandlers ?? []).map((handler) => this.#bus.subscribe(handler));
    this.#upcasters = new Map(Object.entries(options.Upcasters ?? {}));
    this.#upcasterFingerprint = fingerprint(this.#upcasters);
  }

  static #signal(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    return { promise, resolve };
  }

  /** Turns an event read from the store into its current shape (never written back). */
  #upcast = (event: IEvent): IEvent => {
    let current = event;
    for (let hop = 0; hop < MAX_UPCASTS; hop++) {
      const upcast = this.#upcasters.get(current.EventName);
      if (!upcast) return current;
      const from = current.EventName;
      current = upcast(current);
      if (typeof current !== 'object' || current === null || Array.isArray(current) || typeof current.EventName !== 'string') {
        throw new AtomServicesError('INVALID_ARGUMENT', `the upcaster of ${from} must return an event (an object with an EventName), got ${kindOf(current)}`,
          { field: `Upcasters.${from}` });
      }
      checkUpcast(event, current, from);
    }
    throw new AtomServicesError('INVALID_ARGUMENT', `upcasters of ${event.EventName} call each other in a loop`);
  };

  dispatch(events: IEvent | readonly IEvent[], notified?: Notified): Promise<void> {
    if (notified === undefined) return this.#track(this.#dispatchEventual(events));
    if (typeof notified !== 'function') {
      return Promise.reject(invalidArgument('notified', 'must be a function (err?) => void when given'));
    }
    return this.#track(this.#dispatchStrong(events, notified));
  }

  async #dispatchEventual(input: IEvent | readonly IEvent[]): Promise<void> {
    const events = await this.#append(input);
    const bus = this.#bus;
    if (events.length === 0 || !this.#publishes()) return;  // nothing to run
    // Tracked now, so close() waits for it; started after the caller's await resumed.
    this.#track(this.#publishInOrder(events, bus, true).catch((error) => this.#report(error)));
  }

  async #dispatchStrong(input: IEvent | readonly IEvent[], notified: Notified): Promise<void> {
    let failure: AtomServicesError | undefined;
    try {
      const events = await this.#append(input);
      if (events.length > 0) await this.#publishInOrder(events, this.#bus, false);
    } catch (error) {
      failure = error instanceof AtomServicesError ? error : asStoreError(error);
    }
    try {
      notified(failure);
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * Appends the events; resolves the ones newly stored (retries of stored events are not), as
   * they were stored: copies made at the call, so a change the caller makes to its objects
   * afterwards reaches no handler, and handlers get what subscriptions and reads get.
   */
  async #append(input: IEvent | readonly IEvent[]): Promise<readonly IEvent[]> {
    if (this.#closed) throw storeClosed('service');
    const events: readonly IEvent[] = Array.isArray(input) ? input : [input as IEvent];
    const store = this.#store;
    const checked = store instanceof NativeEventStore || (store as Partial<CoreValidating>)[validatesEvents] === true;
    const json = checked && !this.#publishes() ? undefined : encodeEvents(events);
    // A store written in JS gets only events the core has validated (once: a store that
    // hands them to the core itself says so, and a core store validates them as it appends).
    if (!checked) callCore((core) => core.validateEvents(writeInput(core, json!)));
    if (this.#appendGate) await this.#appendGate;
    const result: AppendResult | void = await this.#callStore(() =>
      (store instanceof NativeEventStore && json !== undefined ? store[appendsEncoded](json, events.length) : store.append(events)));
    if (result?.appended !== 0) this.#notifyAppended();
    const stored = json === undefined ? events : JSON.parse(json) as IEvent[];
    // A store that does not say how many it stored is taken to have stored them all.
    if (typeof result?.appended !== 'number' || result.appended >= events.length) return stored;
    return result.appended === 0 ? [] : this.#newlyStored(stored, result);
  }

  /**
   * Publishes once the publications before it of the same aggregates have settled, so an
   * aggregate's handlers run in the order its events were stored (an eventual dispatch's
   * handlers start in a later turn, a strong one's at once). Other aggregates' go on meanwhile.
   */
  #publishInOrder(events: readonly IEvent[], bus: IEventBus, inLaterTurn: boolean): Promise<void> {
    const aggregates = [...new Set(events.map((event) => `${event.AggregateType}\u0000${event.AggregateID}`))];
    const before = aggregates.map((key) => this.#lastPublished.get(key)).filter((p) => p !== undefined);
    const published = Promise.all(before)
      .then(() => (inLaterTurn ? new Promise<void>((resolve) => afterThisTurn(resolve)) : undefined))
      .then(() => bus.publish(events));
    const settled = published.then(() => undefined, () => undefined);
    for (const key of aggregates) this.#lastPublished.set(key, settled);
    void settled.then(() => {
      for (const key of aggregates) if (this.#lastPublished.get(key) === settled) this.#lastPublished.delete(key);
    });
    return published;
  }

  /** Whether appended events go to a bus that runs handlers. */
  #publishes(): boolean {
    return !(this.#bus instanceof InstantEventBus) || this.#bus.hasHandlers;
  }

  /** The events of a batch that this append stored, when some of it were retries. */
  async #newlyStored(events: readonly IEvent[], result: AppendResult): Promise<readonly IEvent[]> {
    // Some were retries. The new ones took the last positions; an id held twice counts once.
    const stored = await this.#callStore(() => this.#store.readAll({ fromPosition: result.lastPosition - result.appended + 1, limit: result.appended }));
    // Ids are compared as the store keeps them: in lower case.
    const ids = new Set(stored.map(({ event }) => event._id.toLowerCase()));
    return events.filter((event) => ids.delete(event._id.toLowerCase()));
  }

  #notifyAppended(): void {
    this.#appends++;
    const appended = this.#appended;
    this.#appended = undefined;
    appended?.resolve();
  }

  async getEvents<E extends IEvent = IEvent>(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<E[]> {
    this.#checkNotClosed();
    this.#checkStreamArguments({ AggregateType, AggregateID, options });
    const events = await this.#callStore(() => this.#store.readStream(AggregateType, AggregateID, options));
    return events.map(this.#upcast) as E[];
  }

  async getVersion(AggregateType: string, AggregateID: string): Promise<number> {
    this.#checkNotClosed();
    this.#checkStreamArguments({ AggregateType, AggregateID });
    return this.#callStore(() => this.#store.getVersion(AggregateType, AggregateID));
  }

  async rehydrate<S, E extends IEvent = IEvent>(AggregateType: string, AggregateID: string,
    reducer: IReducer<S, E> | NativeReducer<S>, ...rest: [S?, RehydrateOptions?]): Promise<Rehydrated<S>> {
    this.#checkNotClosed();
    const native = reducer instanceof NativeReducer;
    if (!native && typeof reducer !== 'function') throw invalidArgument('reducer', 'must be a function (state, event) => state or a NativeReducer');
    const [initialState, options = {}] = native ? [reducer.initialState, rest[0] as RehydrateOptions | undefined] : rest;
    checkRehydrateOptions(options, AggregateType, AggregateID, native);
    const store = this.#store;
    if (native && store instanceof NativeEventStore && this.#upcasterFingerprint === '') {
      const { toVersion, at, snapshots } = options;
      const result = await this.#callStore(() => store.rehydrateNative(reducer, AggregateType, AggregateID, { toVersion, at, snapshots: snapshots !== false }));
      options.onProgress?.({ done: result.version, total: result.version });
      return result;
    }
    const host = { store, upcast: this.#upcast, upcasterFingerprint: this.#upcasterFingerprint, callStore: this.#callStore };
    // Not wrapped as a store failure: an error of the reducer or an upcaster is the user's own.
    return rehydrateInPages(host, AggregateType, AggregateID, reducer as IReducer<S>, initialState as S, options);
  }

  subscribe<E extends IEvent = IEvent>(options: SubscribeOptions, handler: SubscriptionHandler<E>): () => void {
    this.#checkOpen();
    checkSubscribeOptions(options);
    if (typeof handler !== 'function') throw invalidArgument('handler', 'must be a function (event, position) => void | Promise<void>');
    const subscription = this.#subscribeInternal(options, handler as SubscriptionHandler);
    return () => { subscription.stop(); };
  }

  project<S, E extends IEvent = IEvent>(definition: ProjectionDefinition<S, E>): Projection<S, E> {
    this.#checkOpen();
    return new Projection(definition, {
      subscribe: (options, handler) => this.#subscribeInternal(options, handler),
      lastPosition: () => this.#store.getLastPosition ? this.#store.getLastPosition() : Promise.resolve(0),
      checkOpen: () => this.#checkOpen(),
    });
  }

  #subscribeInternal(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    this.#checkOpen();
    if (options.name !== undefined && (!this.#store.getCheckpoint || !this.#store.putCheckpoint)) {
      throw new AtomServicesError('INVALID_ARGUMENT', 'named subscriptions need a store with getCheckpoint and putCheckpoint', { field: 'options.name' });
    }
    // A store that hears other processes' appends wakes subscriptions at once.
    this.#unwatch ??= this.#store.watch?.(() => this.#notifyAppended());
    const subscription = new Subscription({
      store: this.#store,
      upcast: this.#upcast,
      appends: () => this.#appends,
      nextAppend: (since) => (since !== this.#appends ? Promise.resolve()
        : Promise.race([(this.#appended ??= Service.#signal()).promise, this.#pollDelay()])),
      holdAppends: (until) => {
        const gate: Promise<unknown> = Promise.allSettled([this.#appendGate, until]).then(() => {
          if (this.#appendGate === gate) this.#appendGate = undefined;
        });
        this.#appendGate = gate;
      },
      report: (error) => this.#report(error),
    }, options, handler);
    this.#subscriptions.add(subscription);
    void subscription.done.then(() => {
      this.#subscriptions.delete(subscription);
      // The last one stopped: stop hearing other processes' appends (over PostgreSQL, a connection).
      if (this.#subscriptions.size > 0) return;
      this.#unwatch?.();
      this.#unwatch = undefined;
    });
    return subscription;
  }

  /**
   * The wait before a subscription looks for appends made elsewhere. Only this process
   * writes a core store (memory, files, IndexedDB), so there the timer does not keep a
   * Node process alive: a forgotten subscription must not hang it.
   */
  #pollDelay(): Promise<void> {
    const local = this.#store instanceof NativeEventStore;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, POLL_MS) as { unref?: () => void };
      if (local) timer.unref?.();
    });
  }

  onError(listener: (error: AtomServicesError) => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener', 'must be a function (error) => void');
    const entry = (error: AtomServicesError) => listener(error);  // one entry per call
    this.#listeners.add(entry);
    return () => { this.#listeners.delete(entry); };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#drain();
      for (const subscription of this.#subscriptions) subscription.stop();
      this.#notifyAppended();
      await Promise.allSettled([...this.#subscriptions].map((s) => s.done));
      await this.#drain();  // what the last subscription handlers dispatched
      this.#closed = true;
      for (const unsubscribe of this.#unsubscribes) unsubscribe();
      this.#unwatch?.();
      await this.#callStore(() => this.#store.close());
    })();
    return this.#closing;
  }

  /** New subscriptions and projections are refused from the moment close() is called. */
  #checkOpen(): void {
    if (this.#closing) throw storeClosed('service');
  }

  /** Dispatches and reads are accepted until close() drained: handlers in flight may still react. */
  #checkNotClosed(): void {
    if (this.#closed) throw storeClosed('service');
  }

  // Our own stores (those in the core, and those written in JS that ask the core) check what
  // they are given; any other store gets arguments the core checked, once.
  #checkStreamArguments(request: object): void {
    if (this.#store instanceof NativeEventStore || (this.#store as Partial<CoreValidating>)[validatesEvents]) return;
    callCore((core) => core.checkStreamQuery(encodeRequest(request)));
  }

  #callStore = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw atCaller(asStoreError(error));
    }
  };

  /** Counts the work until it settles; its error carries the stack of whoever awaits it. */
  async #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await promise;
    } catch (error) {
      throw atCaller(error);
    } finally {
      this.#forget();
    }
  }

  #forget = (): void => {
    if (--this.#inFlight > 0 || !this.#settled) return;
    this.#settled.resolve();
    this.#settled = undefined;
  };

  /** Resolves once nothing is in flight, including what was dispatched while waiting. */
  async #drain(): Promise<void> {
    while (this.#inFlight > 0) await this.#allSettled();
  }

  /** Resolves once every dispatch and publication tracked so far has settled. */
  #allSettled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return (this.#settled ??= Service.#signal()).promise;
  }

  #report(thrown: unknown): void {
    const error = thrown instanceof AtomServicesError ? thrown
      : new AtomServicesError('HANDLER_FAILED', `an error reached the service: ${thrown instanceof Error ? thrown.message : String(thrown)}`, {}, thrown);
    if (this.#listeners.size === 0) {
      console.error('atomservices:', error);
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        console.error('atomservices: an onError listener threw', listenerError);
      }
    }
  }
}

/**
 * Wires a store, a bus and handlers into a service. Synchronous and lazy: nothing is
 * opened until the first call that needs the store.
 */
export function createService(options: ServiceOptions = {}): IService {
  checkOptions(options);
  return new Service(options);
}
