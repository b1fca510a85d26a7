// The public API, the same for Node and browsers. The entries (node.ts, browser.ts) load
// the WebAssembly core first, then re-export this.
export { EventBuilder } from './service/event-builder.js';
export type { EventDefinition, EventInput } from './service/event-builder.js';
export { createService } from './service/service.js';
export { InstantEventBus } from './service/instant-event-bus.js';
export { MemoryEventStore } from './stores/memory-store.js';
export { NativeReducer } from './core/native-reducer.js';
export type { NativeReducerDefinition, ReducerOperation } from './core/native-reducer.js';
export { Projection } from './service/projection.js';
export { given, ExpectationError } from './service/testing.js';
export type { Folded, Projected } from './service/testing.js';
export type { DurableStoreOptions, StorageStats, StoreCorruption, VerifyOptions, VerifyReport } from './stores/durable-store.js';
export { AtomServicesError, ERROR_CODES } from './core/errors.js';
export type { AtomServicesErrorDetails, ErrorCode, HandlerFailure } from './core/errors.js';
export type { IService, Notified } from './service/service.js';
export type {
  AppendResult, IEvent, IEventBus, IEventHandler, IEventStore, IReducer, PositionedEvent, Progress, ProjectionDefinition,
  ReadAllOptions, ReadStreamOptions, Rehydrated, RehydrateOptions, ServiceOptions, Snapshot, SubscribeOptions, SubscriptionHandler,
} from './types.js';
