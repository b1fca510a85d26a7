// The contracts and option shapes of the public API, as plain types: this module imports
// nothing, so every other module can depend on it without a circle.
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


export interface Rehydrated<S> {
  state: S;
  /** The version of the last event folded in; 0 for an aggregate without events. */
  version: number;
}

export interface Progress {
  done: number;
  total: number;
}

export interface RehydrateOptions {
  /** Fold up to this version (time travel by version). */
  toVersion?: number;
  /** Fold only the events created at or before this ISO-8601 UTC time (time travel by time). */
  at?: string;
  /** Hears how far a long fold got. */
  onProgress?: (progress: Progress) => void;
  /**
   * JS reducers: opt in to snapshots with { every, version } (change `version` whenever the
   * reducer's meaning changes). Native reducers: set snapshotEvery in the definition;
   * `false` here ignores snapshots for this call.
   */
  snapshots?: false | { every: number; version: string };
}

export interface SubscribeOptions {
  /** Where to start when there is no checkpoint: "start" (default), "end" (new events only), or a global position (inclusive). */
  from?: 'start' | 'end' | number;
  /** Only events of these names (after upcasting). */
  EventName?: string | readonly string[];
  /** Only events of this aggregate type. */
  AggregateType?: string;
  /** Names the subscription; its checkpoint is stored durably under this name. */
  name?: string;
}

export type SubscriptionHandler<E extends IEvent = IEvent> = (event: E, position: number) => void | Promise<void>;

export interface ProjectionDefinition<S, E extends IEvent = IEvent> {
  /** Only events of these names. */
  EventName?: string | readonly string[];
  /** Only events of this aggregate type. */
  AggregateType?: string;
  /** Which state an event folds into. Default: its AggregateID. */
  key?: (event: E) => string;
  reducer: IReducer<S, E>;
  /** Each key's state starts as a copy of this. */
  initialState: S;
}
