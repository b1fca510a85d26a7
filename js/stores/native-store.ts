// The JS face of every store that lives in the WebAssembly core.
import { appendsEncoded, callCore, callCoreJson, callCoreText, parseOutput, writeInput, type CoreModule, type CoreStore } from '../core/core.js';
import { encode, encodeEvents, encodeRequest } from '../core/encode.js';
import { AtomServicesError, atCaller, invalidArgument, kindOf, storeClosed } from '../core/errors.js';
import { readAllInPages, readStreamInPages } from './paged-reads.js';
import type { NativeReducer } from '../core/native-reducer.js';
import type {
  AppendResult, IEvent, IEventStore, PositionedEvent, ReadAllOptions, ReadStreamOptions, Rehydrated, Snapshot,
} from '../types.js';

/** Options of a rehydration inside the core. */
export interface CoreRehydrateOptions {
  toVersion?: number;
  at?: string;
  snapshots?: boolean;
}

function checkSnapshotKey(key: unknown): void {
  if (typeof key !== 'string') throw invalidArgument('key', `must be a string naming the reducer the snapshot is of, got ${kindOf(key)}`);
}

// A store dropped without close() still frees its memory inside the core.
const unreleased = new FinalizationRegistry<CoreStore>((store) => store.delete());

export abstract class NativeEventStore implements IEventStore {
  #opening: Promise<CoreStore> | undefined;
  #closing: Promise<void> | undefined;
  #failure: AtomServicesError | undefined;
  #ready: CoreStore | undefined;
  // The newest position, as the last append left it: only this object appends to its store.
  #position = 0;
  // The newest position known to be durable (what the open found was).
  #durablePosition = 0;

  /** Creates the store inside the core. Called on first use, so construction does no work. */
  protected abstract open(core: CoreModule): CoreStore | Promise<CoreStore>;
  /** Resolves once everything appended so far is durable. */
  protected durable(): Promise<void> | void {}
  /** Last work on a sound core store before close() frees it. */
  protected finish(_store: CoreStore): void {}
  /** Undoes what open() did outside the core (locks, mounts), after the core store is gone. */
  protected async release(): Promise<void> {}

  /** The core store, opened on first use; an open that failed is tried again by the next call. */
  protected async opened(): Promise<CoreStore> {
    if (this.#closing) throw storeClosed('event store');
    if (this.#failure) throw atCaller(this.#failure);
    this.#opening ??= (async () => {
      const store = await callCore((core) => this.open(core));
      unreleased.register(this, store, this);
      this.#position = store.lastPosition();
      this.#durablePosition = this.#position;
      this.#ready = store;
      return store;
    })().catch((error) => {
      this.#opening = undefined;
      throw this.explain(error);
    });
    try {
      return await this.#opening;
    } catch (error) {
      throw atCaller(error);  // one open serves every caller: give each its own stack
    }
  }

  /** Makes an error from the core read as the user sees the store (a durable store names its real directory). */
  protected explain(error: unknown): unknown {
    return error;
  }

  /** Why this store refuses every call (a failed sync), if it does. */
  protected get failure(): AtomServicesError | undefined {
    return this.#failure;
  }

  /** Called once the store refuses every call: a shared store lets another context take over. */
  protected poisoned(): void {}

  /** After a failed sync nothing later can be trusted to be durable: refuse until reopened. */
  protected poison(cause: unknown): AtomServicesError {
    const explained = this.explain(cause);
    const text = explained instanceof Error ? explained.message : String(explained);
    this.#failure = new AtomServicesError('STORE_FAILURE',
      `the store could not make events durable (${text}); close it and open it again`, {}, cause);
    this.poisoned();
    return this.#failure;
  }

  async append(events: readonly IEvent[]): Promise<AppendResult> {
    if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
    return this.appendEncoded(encodeEvents(events));
  }

  [appendsEncoded](json: string, _count: number): Promise<AppendResult> {
    return this.appendEncoded(json);
  }

  /** Appends events already encoded as JSON (by encodeEvents, maybe in another tab). */
  protected async appendEncoded(json: string): Promise<AppendResult> {
    if (this.#closing) throw storeClosed('event store');
    // An open store is used at once: an await per append is measurable at 100k appends/s.
    // (Made before close(), an append that waits for the open is still served: close() lets it run first.)
    const store = this.#ready !== undefined && !this.#failure ? this.#ready : await this.opened();
    let lastPosition: number;
    try {
      lastPosition = callCore((core) => store.append(writeInput(core, json)));
    } catch (error) {
      throw this.explain(error);
    }
    const appended = lastPosition - this.#position;  // retries of stored events add none
    this.#position = lastPosition;
    const durable = this.durable();
    try {
      if (durable) await durable;
    } catch (error) {
      throw atCaller(error);  // made by the flush that served the group
    }
    this.#durablePosition = Math.max(this.#durablePosition, lastPosition);
    return { appended, lastPosition };
  }

  /**
   * The newest position, once everything appended before the call is durable: what a store
   * shows other tabs, whose subscriptions must never see an event that a crash could take back.
   */
  protected async durableLastPosition(): Promise<number> {
    await this.opened();
    const through = this.#position;
    if (through > this.#durablePosition) {
      await this.durable();
      this.#durablePosition = Math.max(this.#durablePosition, through);
    }
    return through;
  }

  async readStream(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<IEvent[]> {
    return readStreamInPages(options, (page) => this.readStreamText(AggregateType, AggregateID, page));
  }

  async readAll(options?: ReadAllOptions): Promise<PositionedEvent[]> {
    return readAllInPages(options, (page) => this.readAllText(page));
  }

  /**
   * One answer of readStream as the core's JSON text (at most maxAnswerBytes, so maybe fewer
   * events than asked): what crosses to another tab as it is (a string clones fast).
   */
  protected async readStreamText(AggregateType: string, AggregateID: string, options?: ReadStreamOptions): Promise<string> {
    const store = await this.opened();
    const request = encodeRequest({ AggregateType, AggregateID, options });
    return callCoreText(() => store.readStream(request));
  }

  protected async readAllText(options?: ReadAllOptions): Promise<string> {
    const store = await this.opened();
    const request = encodeRequest(options ?? {});
    return callCoreText(() => store.readAll(request));
  }

  async getVersion(AggregateType: string, AggregateID: string): Promise<number> {
    const store = await this.opened();
    const request = encodeRequest({ AggregateType, AggregateID });
    return callCore(() => store.version(request));
  }

  async getEvent(_id: string): Promise<IEvent | undefined> {
    if (typeof _id !== 'string') throw invalidArgument('_id', `must be a string, got ${_id === null ? 'null' : typeof _id}`);
    const store = await this.opened();
    const json = callCore(() => store.getEvent(_id));
    return json === undefined ? undefined : parseOutput(json);
  }

  async getLastPosition(): Promise<number> {
    const store = await this.opened();
    return store.lastPosition();
  }

  /** Folds an aggregate with a native reducer inside the core (snapshots included). */
  async rehydrateNative<S>(reducer: NativeReducer<S>, AggregateType: string, AggregateID: string,
    options: CoreRehydrateOptions = {}): Promise<Rehydrated<S>> {
    const store = await this.opened();
    const request = encodeRequest({ AggregateType, AggregateID, options });
    // Snapshots saved on the way become durable with the next flush: a lost one only costs a longer fold.
    return callCoreJson(() => store.rehydrate(reducer.definition, request));
  }

  async getSnapshot(key: string, AggregateType: string, AggregateID: string, maxVersion?: number): Promise<Snapshot | undefined> {
    checkSnapshotKey(key);
    const store = await this.opened();
    const request = encodeRequest({ key, AggregateType, AggregateID, version: maxVersion });
    const json = callCore(() => store.getSnapshot(request));
    return json === undefined ? undefined : JSON.parse(json);
  }

  async putSnapshot(key: string, AggregateType: string, AggregateID: string, version: number, state: unknown): Promise<void> {
    checkSnapshotKey(key);
    const store = await this.opened();
    const request = encodeRequest({ key, AggregateType, AggregateID, version });
    const json = encode(state, 'state', 'INVALID_ARGUMENT');
    callCore((core) => store.putSnapshot(request, writeInput(core, json)));
    await this.durable();
  }

  async getCheckpoint(name: string): Promise<number | undefined> {
    const store = await this.opened();
    if (typeof name !== 'string') throw invalidArgument('name', 'must be a string');
    return callCore(() => store.getCheckpoint(name));
  }

  async putCheckpoint(name: string, position: number): Promise<void> {
    const store = await this.opened();
    if (typeof name !== 'string') throw invalidArgument('name', 'must be a string');
    if (!Number.isSafeInteger(position) || position < 0) throw invalidArgument('position', 'must be a global position (an integer ≥ 0)');
    callCore(() => store.putCheckpoint(name, position));
    await this.durable();
  }

  /** Waits for appends in flight to become durable, then frees the store. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const store = await this.#opening?.catch(() => undefined);
      if (!store) return;
      // Calls made before close() that waited for the open go on in tasks queued by now:
      // they run (an append joining the flush awaited next) before the store is freed.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await Promise.resolve(this.durable()).catch(() => undefined);
      unreleased.unregister(this);
      if (!this.#failure) this.finish(store);
      store.delete();
      await this.release();
    })();
    return this.#closing;
  }
}
