// Browsers: a durable store in IndexedDB, through Emscripten's IDBFS. The core writes its
// segment files to the in-memory IDBFS mount; a flush copies the changed files to
// IndexedDB in one transaction, so concurrent appends share one transaction (group commit).
// One tab or worker writes a store at a time, under a Web Lock named after it.
import type { CoreModule, DurableCoreStore } from './core.js';
import { callCore, checkName } from './core.js';
import { DurableEventStore, type Mounted } from './durable-store.js';
import { AtomServicesError, invalidArgument } from './errors.js';

export interface IndexedDBEventStoreOptions {
  /** Names the store: its IndexedDB database and its lock. Default "atomservices". */
  name?: string;
  /**
   * When another tab or worker has the store open: wait until it closes it (default), or
   * fail at once with STORE_LOCKED (`false`).
   */
  wait?: boolean;
}

// IDBFS rewrites each changed file whole on every flush: a small active segment keeps that cheap.
const SEGMENT_BYTES = 256 << 10;

interface IdbfsApi {
  syncfs(mount: unknown, populate: boolean, done: (error: unknown) => void): void;
  getDB(name: string, done: (error: unknown, db?: IDBDatabase) => void): void;
  dbs: Record<string, unknown>;
}

function idbfs(core: CoreModule): IdbfsApi {
  return core.FS.filesystems.IDBFS as unknown as IdbfsApi;
}

function syncMount(core: CoreModule, mountpoint: string, populate: boolean): Promise<void> {
  const mount = core.FS.lookupPath(mountpoint).node.mount;
  return new Promise((resolve, reject) => {
    idbfs(core).syncfs(mount, populate, (error) => (error ? reject(error) : resolve()));
  });
}

/** Opens the mount's database ourselves so its write transactions use strict durability. */
function useStrictDurability(core: CoreModule, mountpoint: string): Promise<void> {
  const api = idbfs(core);
  return new Promise((resolve, reject) => {
    api.getDB(mountpoint, (error, db) => {
      if (error || !db) return reject(error ?? new Error('IndexedDB did not open'));
      api.dbs[mountpoint] = {
        transaction: (stores: string[], mode: IDBTransactionMode) =>
          db.transaction(stores, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined),
        close: () => db.close(),
      };
      resolve();
    });
  });
}

function failure(what: string, error: unknown): AtomServicesError {
  const text = error instanceof Error ? error.message : String(error);
  return new AtomServicesError('STORE_FAILURE', `${what}: ${text}`, {}, error);
}

/** Keeps events in IndexedDB: a resolved append survives a reload, a crash or a killed browser. */
export class IndexedDBEventStore extends DurableEventStore {
  readonly name: string;
  readonly #wait: boolean;
  readonly #mountpoint: string;
  #core: CoreModule | undefined;
  #unlock: (() => void) | undefined;

  constructor(options: IndexedDBEventStoreOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { name?, wait? }');
    const { name = 'atomservices', wait = true } = options;
    if (typeof name !== 'string') throw invalidArgument('options.name', 'must be a string');
    checkName('options.name', name);
    if (typeof wait !== 'boolean') throw invalidArgument('options.wait', 'must be true or false');
    this.name = name;
    this.#wait = wait;
    this.#mountpoint = `/atomservices/idb/${encodeURIComponent(name)}`;
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    await this.#lock();
    try {
      core.FS.mkdirTree(this.#mountpoint);
      core.FS.mount(core.FS.filesystems.IDBFS, {}, this.#mountpoint);
      this.#core = core;
      await useStrictDurability(core, this.#mountpoint);
      await syncMount(core, this.#mountpoint, true);  // load what IndexedDB holds, maybe written by another tab
    } catch (error) {
      await this.unmount();
      throw failure(`could not open the IndexedDB store "${this.name}"`, error);
    }
    const syncer = { syncFile: () => {}, syncDirectory: () => {} };  // the flush's IndexedDB transaction covers both
    // Files must not vanish while a flush copies them to IndexedDB (an asynchronous walk):
    // merges run at the start of a flush, never during one.
    return { path: this.#mountpoint, segmentBytes: SEGMENT_BYTES, autoMerge: false, syncer };
  }

  async #lock(): Promise<void> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return;  // no Web Locks (very old browsers): one writer is then the app's duty
    await new Promise<void>((acquired, refused) => {
      locks.request(`atomservices:${this.name}`, { ifAvailable: !this.#wait }, (lock) => {
        if (!lock) {
          refused(new AtomServicesError('STORE_LOCKED',
            `the store "${this.name}" is open in another tab or worker; close it there, or pass wait: true to wait for it`));
          return undefined;
        }
        acquired();
        return new Promise<void>((release) => { this.#unlock = release; });  // held until close()
      }).catch(refused);
    });
  }

  protected async flush(store: DurableCoreStore): Promise<void> {
    callCore(() => {
      store.sync();
      store.compact();
    });
    await syncMount(this.#core as CoreModule, this.#mountpoint, false);
  }

  protected async unmount(): Promise<void> {
    const core = this.#core;
    if (core) {
      try {
        core.FS.unmount(this.#mountpoint);
      } catch {
        // not mounted
      }
    }
    this.#core = undefined;
    this.#unlock?.();
    this.#unlock = undefined;
  }
}
