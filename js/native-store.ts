// The JS face of every store that lives in the WebAssembly core.
import { callCore, writeInput, type CoreModule, type CoreStore } from './core.js';
import { encodeEvents, encodeRequest } from './encode.js';
import { invalidArgument, storeClosed } from './errors.js';
import type { AppendResult, IEvent, IEventStore, PositionedEvent, ReadAllOptions, ReadStreamOptions } from './types.js';

// A store dropped without close() still frees its memory inside the core.
const unreleased = new FinalizationRegistry<CoreStore>((store) => store.delete());

export abstract class NativeEventStore implements IEventStore {
  #store: CoreStore | undefined;
  #closed = false;

  /** Creates the store inside the core; called on first use, so construction does no work. */
  protected abstract open(core: CoreModule): CoreStore;

  #opened(): CoreStore {
    if (this.#closed) throw storeClosed('event store');
    if (!this.#store) {
      this.#store = callCore((core) => this.open(core));
      unreleased.register(this, this.#store, this);
    }
    return this.#store;
  }

  /** Synchronous append, for the service's fast path. Throws instead of rejecting. */
  appendNow(events: readonly IEvent[]): AppendResult {
    const store = this.#opened();
    const json = encodeEvents(events);
    return callCore((core) => store.append(writeInput(core, json)));
  }

  async append(events: readonly IEvent[]): Promise<AppendResult> {
    if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
    return this.appendNow(events);
  }

  async readStream(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<IEvent[]> {
    const store = this.#opened();
    const request = encodeRequest({ AggregateType, AggregateID, options });
    return JSON.parse(callCore(() => store.readStream(request)));
  }

  async readAll(options?: ReadAllOptions): Promise<PositionedEvent[]> {
    const store = this.#opened();
    const request = encodeRequest(options ?? {});
    return JSON.parse(callCore(() => store.readAll(request)));
  }

  async getVersion(AggregateType: string, AggregateID: string): Promise<number> {
    const store = this.#opened();
    const request = encodeRequest({ AggregateType, AggregateID });
    return callCore(() => store.version(request));
  }

  async getEvent(_id: string): Promise<IEvent | undefined> {
    const store = this.#opened();
    if (typeof _id !== 'string') throw invalidArgument('_id', `must be a string, got ${_id === null ? 'null' : typeof _id}`);
    const json = callCore(() => store.getEvent(_id));
    return json === undefined ? undefined : JSON.parse(json);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#store) {
      unreleased.unregister(this);
      this.#store.delete();
      this.#store = undefined;
    }
  }
}
