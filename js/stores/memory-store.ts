import type { CoreModule, CoreStore } from '../core/core.js';
import { invalidArgument } from '../core/errors.js';
import { NativeEventStore } from './native-store.js';

/** Keeps events in memory, inside the WebAssembly core. For tests and short-lived processes. */
export class MemoryEventStore extends NativeEventStore {
  /** Takes no options: an argument other than nothing or `{}` is refused, so a typo does not pass unseen. */
  constructor(options?: Record<string, never>) {
    super();
    const given: unknown = options;
    if (given === undefined) return;
    if (typeof given !== 'object' || given === null || Array.isArray(given) || Object.keys(given).length > 0) {
      throw invalidArgument('options', 'a MemoryEventStore takes no options (it keeps events in memory only); for files use FileEventStore');
    }
  }

  protected open(core: CoreModule): CoreStore {
    return new core.MemoryStore();
  }
}
