import type { AtomServicesError } from './errors.js';
import type { NativeReducer } from './native-reducer.js';
import type { Projection, ProjectionDefinition } from './projection.js';
import type { RehydrateOptions } from './rehydration.js';
import type { SubscribeOptions, SubscriptionHandler } from './subscription.js';

/** The event contract. Keys are PascalCase for domain fields, `_`-prefixed for system fields. */
export interface IEvent<Payloads = unknown, Metadata = Record<string, unknown>> {
  /** A UUID, made by EventBuilder. */
  _id: string;
  /** ISO-8601 UTC with milliseconds, made by EventBuilder. */
  _createdAt: string;
  /** The aggregate version this event creates: 1 for the first event, then 2, 3, ... */
  _version: number;
  /** Who or what caused the event. */
  _createdBy: string;
  EventName: string;
  AggregateType: string;
  /** Made by EventBuilder when the input has none. */
  AggregateID: string;
  payloads: Payloads;
  metadata?: Metadata;
}

/** Reacts to stored events. `EventName: '*'` matches every event. */
export interface IEventHandler<E extends IEvent = IEvent> {
  EventName: string;
  /** When set, only events of this aggregate type match. */
  AggregateType?: string;
  /** Names the handler in errors. */
  name?: string;
  handle(event: E): void | Promise<void>;
}

/** A pure function folding an aggregate's events into its state. */
export type IReducer<S, E extends IEvent = IEvent> = (state: S, event: E) => S;

export interface AppendResult {
  /**
   * Events newly stored; a retried event that is already stored is not counted. The
   * service runs handlers for these only (found at the last `appended` positions).
   */
  appended: number;
  /** The global position of the newest event in the store. */
  lastPosition: number;
}

export interface ReadStreamOptions {
  /** First version to read (default 1). */
  fromVersion?: number;
  /** Last version to read (default: the current version). */
  toVersion?: number;
  /** At most this many events. */
  limit?: number;
  /** `forward` (default) reads oldest first; `backward` newest first. */
  direction?: 'forward' | 'backward';
}

export interface ReadAllOptions {
  /** First global position to read (default 1). Positions start at 1. */
  fromPosition?: number;
  /** At most this many events. */
  limit?: number;
}

/** An event with its place in the store's global order. */
export interface PositionedEvent<E extends IEvent = IEvent> {
  position: number;
  event: E;
}

/** A folded state saved beside the log. */
export interface Snapshot<S = unknown> {
  version: number;
  state: S;
}

/**
 * What an event store must do. Any object implementing it can be a service's EventStore.
 * append must store all of the events or none: each `_version` must be the aggregate's
 * current version + 1 (else CONCURRENCY_CONFLICT), an `_id` already stored with the same
 * content is skipped, with other content it is DUPLICATE_EVENT_ID.
 */
export interface IEventStore {
  append(events: readonly IEvent[]): Promise<AppendResult>;
  readStream(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<IEvent[]>;
  readAll(options?: ReadAllOptions): Promise<PositionedEvent[]>;
  /** The aggregate's current version; 0 when it has no events. */
  getVersion(AggregateType: string, AggregateID: string): Promise<number>;
  getEvent(_id: string): Promise<IEvent | undefined>;
  close(): Promise<void>;
  /** Optional: the global position of the newest event (0 when empty). */
  getLastPosition?(): Promise<number>;
  /** Optional (snapshots): the newest state saved under `key` at or below `maxVersion`. */
  getSnapshot?(key: string, AggregateType: string, AggregateID: string, maxVersion?: number): Promise<Snapshot | undefined>;
  /** Optional (snapshots): saves a folded state. */
  putSnapshot?(key: string, AggregateType: string, AggregateID: string, version: number, state: unknown): Promise<void>;
  /** Optional (named subscriptions): the last position the subscription handled. */
  getCheckpoint?(name: string): Promise<number | undefined>;
  /** Optional (named subscriptions): records the last position handled, durably. */
  putCheckpoint?(name: string, position: number): Promise<void>;
  /** Optional: calls `listener` when events may have been appended elsewhere (another process); returns a function that stops it. */
  watch?(listener: () => void): () => void;
}

/** Delivers stored events to handlers. */
export interface IEventBus {
  /** Registers a handler; the returned function removes it. */
  subscribe(handler: IEventHandler): () => void;
  /**
   * Runs every matching handler of each event, all to completion. Rejects with
   * HANDLER_FAILED (listing each failed handler) when any failed.
   */
  publish(events: readonly IEvent[]): Promise<void>;
}

export interface ServiceOptions {
  /** Where events are stored. Default: a FileEventStore in ./.atomservices in Node, an IndexedDBEventStore named "atomservices" in browsers. */
  EventStore?: IEventStore;
  /** How events reach handlers. Default: a new InstantEventBus. */
  EventBus?: IEventBus;
  /** Handlers subscribed to the bus for the service's lifetime. */
  EventHandlers?: readonly IEventHandler[];
  /**
   * Per EventName, a function turning an old event shape into the current one. Applied on
   * every read (getEvents, rehydrate, subscriptions, projections); the store is never rewritten.
   */
  Upcasters?: Record<string, (event: IEvent) => IEvent>;
}

/** Called once the store and every matching handler finished; `err` says what failed. */
export type Notified = (err?: AtomServicesError) => void;

export interface Rehydrated<S> {
  state: S;
  /** The version of the last event folded in; 0 for an aggregate without events. */
  version: number;
}

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
