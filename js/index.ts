// The public API, the same for Node and browsers. The entries (node.ts, browser.ts) load
// the WebAssembly core first, then re-export this.
export { EventBuilder } from './event-builder.js';
export type { EventDefinition, EventInput } from './event-builder.js';
export { createService } from './service.js';
export { InstantEventBus } from './instant-event-bus.js';
export { MemoryEventStore } from './memory-store.js';
export { NativeReducer } from './native-reducer.js';
export type { NativeReducerDefinition, ReducerOperation } from './native-reducer.js';
export { Projection } from './projection.js';
export { given, ExpectationError } from './testing.js';
export type { Folded, Projected } from './testing.js';
export type { DurableStoreOptions, StorageStats, StoreCorruption, VerifyOptions, VerifyReport } from './durable-store.js';
export { AtomServicesError, ERROR_CODES } from './errors.js';
export type { AtomServicesErrorDetails, ErrorCode, HandlerFailure } from './errors.js';
export type { IService, Notified } from './service.js';
export type {
  AppendResult, IEvent, IEventBus, IEventHandler, IEventStore, IReducer, PositionedEvent, Progress, ProjectionDefinition,
  ReadAllOptions, ReadStreamOptions, Rehydrated, RehydrateOptions, ServiceOptions, Snapshot, SubscribeOptions, SubscriptionHandler,
} from './types.js';
