// Browsers: a durable store in IndexedDB. The core writes its segment files to a directory
// of its in-memory file system; a flush saves what changed to IndexedDB in one transaction
// (see idb-files.ts), so concurrent appends share one transaction (group commit).
// One tab or worker writes a store at a time, under a Web Lock named after it.
import type { CoreModule, DurableCoreStore } from './core.js';
import { callCore, checkName } from './core.js';
import { clear, IdbFiles } from './idb-files.js';
import { DurableEventStore, type DurableStoreOptions, type Mounted } from './durable-store.js';
import { AtomServicesError, invalidArgument } from './errors.js';

export interface IndexedDBEventStoreOptions extends DurableStoreOptions {
  /** Names the store: its IndexedDB database and its lock. Default "atomservices". */
  name?: string;
  /**
   * When another tab or worker has the store open: wait until it closes it (default), or
   * fail at once with STORE_LOCKED (`false`).
   */
  wait?: boolean;
  /**
   * How far a flush goes before appends resolve. "strict" (default): IndexedDB has flushed
   * the transaction to disk, so acknowledged events survive a power cut. "relaxed" (what
   * IndexedDB does by default): committed, so they survive a reload or a killed browser, but
   * an operating-system crash may lose the last ones; flushes are then several times faster.
   */
  durability?: 'strict' | 'relaxed';
}

// Closed segments are saved whole once; the newest one is saved in chunks as it grows.
const SEGMENT_BYTES = 1 << 20;
// Merged in two tiers (8 MiB, then 64 MiB): a merge saves its result to IndexedDB whole.
const MERGED_BYTES = 64 << 20;

function failure(what: string, error: unknown): AtomServicesError {
  const text = error instanceof Error ? error.message : String(error);
  return new AtomServicesError('STORE_FAILURE', `${what}: ${text}`, {}, error);
}

/** Keeps events in IndexedDB: a resolved append survives a reload, a crash or a killed browser. */
export class IndexedDBEventStore extends DurableEventStore {
  readonly name: string;
  readonly #wait: boolean;
  readonly #durability: 'strict' | 'relaxed';
  readonly #directory: string;
  #core: CoreModule | undefined;
  #files: IdbFiles | undefined;
  #unlock: (() => void) | undefined;

  constructor(options: IndexedDBEventStoreOptions = {}) {
    super(typeof options === 'object' && options !== null ? options : {});
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { name?, wait?, durability?, cacheBytes? }');
    const { name = 'atomservices', wait = true, durability = 'strict' } = options;
    if (typeof name !== 'string') throw invalidArgument('options.name', 'must be a string');
    checkName('options.name', name);
    if (typeof wait !== 'boolean') throw invalidArgument('options.wait', 'must be true or false');
    if (durability !== 'strict' && durability !== 'relaxed') throw invalidArgument('options.durability', 'must be "strict" or "relaxed"');
    this.#durability = durability;
    this.name = name;
    this.#wait = wait;
    this.#directory = `/atomservices/idb/${encodeURIComponent(name)}`;
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    await this.#lock();
    try {
      core.FS.mkdirTree(this.#directory);
      this.#core = core;
      this.#files = await IdbFiles.open(`atomservices:${this.name}`, this.#durability);
      await this.#files.load(core.FS, this.#directory);  // maybe written by another tab before
    } catch (error) {
      await this.unmount();
      throw failure(`could not open the IndexedDB store "${this.name}"`, error);
    }
    const syncer = { syncFile: () => {}, syncDirectory: () => {} };  // the flush's transaction covers both
    // Merges run at the start of a flush (compact()), so that the flush saves their result.
    return { path: this.#directory, segmentBytes: SEGMENT_BYTES, maxMergedBytes: MERGED_BYTES, autoMerge: false, syncer };
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
    await (this.#files as IdbFiles).persist((this.#core as CoreModule).FS, this.#directory);
  }

  protected async unmount(): Promise<void> {
    this.#files?.close();
    this.#files = undefined;
    if (this.#core) clear(this.#core.FS, this.#directory);  // the files live on in IndexedDB only
    this.#core = undefined;
    this.#unlock?.();
    this.#unlock = undefined;
  }
}
