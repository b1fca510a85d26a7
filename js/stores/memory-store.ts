import type { CoreModule, CoreStore } from '../core/core.js';
import { NativeEventStore } from './native-store.js';

/** Keeps events in memory, inside the WebAssembly core. For tests and short-lived processes. */
export class MemoryEventStore extends NativeEventStore {
  protected open(core: CoreModule): CoreStore {
    return new core.MemoryStore();
  }
}
