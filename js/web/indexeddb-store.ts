// Browsers: a durable store in IndexedDB. The core writes its segment files to a directory
// of its in-memory file system; a flush saves what changed to IndexedDB in one transaction
// (see idb-files.ts), so concurrent appends share one transaction (group commit).
// One tab or worker holds a store at a time, under a Web Lock named after it, and the
// others use it through that one (tab-leader.ts, tab-follower.ts).
import type { CoreModule, DurableCoreStore } from '../core/core.js';
import { callCore, checkName } from '../core/core.js';
import { CoreDirectory } from '../core/core-fs.js';
import { IdbFiles } from './idb-files.js';
import type { DurableStoreOptions, Mounted } from '../stores/durable-store.js';
import { AtomServicesError, atCaller, invalidArgument, storeClosed } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import { runStoreCall, SharedEventStore, type Routed } from './shared-store.js';
import { channelName } from './tab-channel.js';
import { TabFollower } from './tab-follower.js';
import { TabLeader } from './tab-leader.js';
import type { AppendResult } from '../types.js';
import { canShare, requestLock } from './web-lock.js';

export interface IndexedDBEventStoreOptions extends DurableStoreOptions {
  /** Names the store: its IndexedDB database, its lock and its channel. Default "atomservices". */
  name?: string;
  /**
   * Left out (the default), every tab and worker uses the store at once: the first to open it
   * holds it, the others send it their calls, and one of them takes over when it goes away.
   * `true`: this tab or worker holds the store itself, waiting until the holder closes it
   * (and then serves the others). `false`: hold it now, or fail at once with STORE_LOCKED.
   */
  wait?: boolean;
  /**
   * How far a flush goes before appends resolve. "strict" (default): IndexedDB has flushed
   * the transaction to disk, so acknowledged events survive a power cut. "relaxed" (what
   * IndexedDB does by default): committed, so they survive a reload or a killed browser, but
   * an operating-system crash may lose the last ones; flushes are then several times faster.
   * The tab that holds the store decides for every tab.
   */
  durability?: 'strict' | 'relaxed';
}

/** The pause before a tab whose takeover failed to open the store queues for the lock again. */
const RETRY_TAKEOVER_MS = 1000;
// Closed segments are saved whole once; the newest one is saved in chunks as it grows.
const SEGMENT_BYTES = 1 << 20;
// Merged in two tiers (8 MiB, then 64 MiB): a merge saves its result to IndexedDB whole.
const MERGED_BYTES = 64 << 20;

function failure(what: string, error: unknown): AtomServicesError {
  const text = error instanceof Error ? error.message : String(error);
  return new AtomServicesError('STORE_FAILURE', `${what}: ${text}`, {}, error);
}

/** Keeps events in IndexedDB: a resolved append survives a reload, a crash or a killed browser. */
export class IndexedDBEventStore extends SharedEventStore {
  readonly name: string;
  readonly #wait: boolean | undefined;
  readonly #durability: 'strict' | 'relaxed';
  readonly #directory: string;
  #mounted: CoreDirectory | undefined;
  #files: IdbFiles | undefined;
  #unlock: (() => void) | undefined;
  // Which part this store plays among the tabs, decided on first use.
  #joining: Promise<void> | undefined;
  /** Calls routed and not yet settled: close() waits for them. */
  readonly #routing = new Set<Promise<unknown>>();
  /** Took the lock while closing: runs the calls made before close(), and serves no other tab. */
  #servesOwnOnly = false;
  #leader: TabLeader | undefined;
  #follower: TabFollower | undefined;
  #takeover: AbortController | undefined;
  #waiting: AbortController | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: IndexedDBEventStoreOptions = {}) {
    super(typeof options === 'object' && options !== null ? options : {});
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { name?, wait?, durability?, cacheBytes? }');
    checkOptionKeys(options, 'options', ['name', 'wait', 'durability', 'cacheBytes'], 'an IndexedDBEventStore option');
    const { name = 'atomservices', wait, durability = 'strict' } = options;
    if (typeof name !== 'string') throw invalidArgument('options.name', 'must be a string');
    checkName('options.name', name);
    if (wait !== undefined && typeof wait !== 'boolean') throw invalidArgument('options.wait', 'must be true or false when given');
    if (durability !== 'strict' && durability !== 'relaxed') throw invalidArgument('options.durability', 'must be "strict" or "relaxed"');
    this.#durability = durability;
    this.name = name;
    this.#wait = wait;
    this.#directory = `/atomservices/idb/${encodeURIComponent(name)}`;
  }

  /** Waits for its calls in flight, then lets go of the store (another tab may take it over). */
  override close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#waiting?.abort();
      // Calls made before close(), including those still on their way to the follower.
      while (this.#routing.size > 0) await Promise.allSettled([...this.#routing]);
      await this.#follower?.settled();  // answered by the holder, or by this store if it takes over meanwhile
      this.#takeover?.abort();
      this.#follower?.close();
      await this.#leader?.close();
      await super.close();
    })();
    return this.#closing;
  }

  /** Runs a store call here when this store holds the store, else in the tab that does. */
  protected route<T>(method: string, args: unknown[], onProgress?: (progress: unknown) => void): Promise<Routed<T>> {
    if (this.#closing) return Promise.reject(storeClosed('event store'));
    const routed = this.#routeNow<T>(method, args, onProgress);
    this.#routing.add(routed);
    void routed.catch(() => {}).finally(() => this.#routing.delete(routed));
    return routed;
  }

  async #routeNow<T>(method: string, args: unknown[], onProgress?: (progress: unknown) => void): Promise<Routed<T>> {
    if (this.failure) throw atCaller(this.failure);  // until closed and opened again, as in Node
    if (!this.#leader) await this.#join();
    if (this.#leader || this.#servesOwnOnly) return { value: await this.#here(method, args, onProgress ?? (() => {})) as T, retried: false };
    if (!this.#follower) throw storeClosed('event store');  // closed while it took the lock
    return this.#follower.call<T>(method, args, onProgress);
  }

  /**
   * A failed flush: nothing later can be trusted to be durable here, so this store lets the
   * others go on without it. Its IndexedDB connection closes first (no write of this store
   * can follow one of the next holder's), then its lock goes, and another tab opens the store
   * from what IndexedDB holds.
   */
  protected override poisoned(): void {
    const leader = this.#leader;
    if (!leader) return;
    this.#leader = undefined;
    this.#files?.close();
    void leader.close().finally(() => {
      this.#unlock?.();
      this.#unlock = undefined;
    });
  }

  /** A call run by this store's core: its own, or one another tab sent. */
  #here(method: string, args: unknown[], onProgress: (progress: unknown) => void): Promise<unknown> {
    return runStoreCall(this, method, args, onProgress, (json) => this.#appendHere(json));
  }

  async #appendHere(json: string): Promise<AppendResult> {
    const result = await this.appendEncoded(json);
    if (result.appended > 0) this.#leader?.appended(result.lastPosition);
    return result;
  }

  #join(): Promise<void> {
    this.#joining ??= this.#takeRole().catch((error) => {
      this.#joining = undefined;  // tried again by the next call
      throw error;
    });
    return this.#joining;
  }

  async #takeRole(): Promise<void> {
    const share = this.#wait === undefined && canShare();
    // Waiting for the lock (wait: true) ends when the store is closed meanwhile.
    const waiting = this.#wait === true ? new AbortController() : undefined;
    this.#waiting = waiting;
    const release = await requestLock(channelName(this.name), waiting ? { signal: waiting.signal } : { ifAvailable: true })
      .catch((error) => { throw this.#closing ? storeClosed('event store') : error; })
      .finally(() => { this.#waiting = undefined; });
    if (release) return this.#lead(release);
    // Closed while it asked for the lock: no follower (one made now would never be closed).
    if (this.#closing) throw storeClosed('event store');
    if (share) return this.#follow();
    throw new AtomServicesError('STORE_LOCKED',
      `the store "${this.name}" is open in another tab or worker; close it there, or leave out wait: false to share it`);
  }

  /** Holds the lock: opens the store and serves the other tabs. */
  async #lead(release: () => void): Promise<void> {
    this.#unlock = release;
    try {
      await this.opened();
    } catch (error) {
      this.#unlock?.();  // released by the failed open already, unless it failed before mounting
      this.#unlock = undefined;
      throw error;
    }
    // Closed while it opened: it must not announce itself (its store is being closed, and
    // its lock let go, by close()), or other tabs would send it calls it can only refuse.
    // It still serves its own calls made before close(), which close() waits for.
    if (this.#closing) {
      this.#servesOwnOnly = true;
      return this.#serveUnanswered();
    }
    this.#leader = new TabLeader(this.name, async (method, args, onProgress) => {
      const value = await this.#here(method, args, onProgress);
      // This tab's subscriptions hear of its own appends from its service; of other tabs' here.
      if (method === 'append' && (value as AppendResult).appended > 0) this.wake();
      return value;
    });
  }

  /** Sends calls to the holder, and waits in line for the lock to take over when it goes. */
  #follow(): void {
    this.#follower = new TabFollower(this.name, () => this.wake());
    this.#queueForLock();
  }

  #queueForLock(): void {
    const takeover = new AbortController();
    this.#takeover = takeover;
    requestLock(channelName(this.name), { signal: takeover.signal }).then(
      (release) => this.#takeOver(release as () => void),
      () => {},  // aborted: this store closed
    );
  }

  /**
   * Closing, this store serves no other tab, but its own calls that the old holder left
   * unanswered (appends it may have made durable among them) are run here, as the next
   * holder would run them; close() waits for them.
   */
  #serveUnanswered(): void {
    this.#follower?.runHere((method, args, onProgress) => this.#here(method, args, onProgress ?? (() => {})));
  }

  async #takeOver(release: () => void): Promise<void> {
    try {
      await this.#lead(release);  // the follower's unanswered calls are sent again to this new leader
    } catch (error) {
      this.#follower?.failAll(error);
      if (this.#closing) return;  // nothing is left to serve
      // Not at once: when the open keeps failing, the lock comes straight back to this tab.
      setTimeout(() => { if (!this.#closing) this.#queueForLock(); }, RETRY_TAKEOVER_MS);
    }
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    try {
      this.#mounted = CoreDirectory.create(core, this.#directory);
      this.#files = await IdbFiles.open(`atomservices:${this.name}`, this.#durability);
      await this.#files.load(this.#mounted);  // maybe written by another tab before
    } catch (error) {
      await this.unmount();
      throw failure(`could not open the IndexedDB store "${this.name}"`, error);
    }
    const syncer = { syncFile: () => {}, syncDirectory: () => {} };  // the flush's transaction covers both
    // Merges run at the start of a flush (compact()), so that the flush saves their result.
    return { path: this.#directory, segmentBytes: SEGMENT_BYTES, maxMergedBytes: MERGED_BYTES, autoMerge: false, sealAtCloseBytes: 0, syncer };
  }

  protected async flush(store: DurableCoreStore): Promise<void> {
    callCore(() => {
      store.sync();
      store.compact();
    });
    await (this.#files as IdbFiles).persist(this.#mounted as CoreDirectory);
  }

  protected async unmount(): Promise<void> {
    this.#files?.close();
    this.#files = undefined;
    this.#mounted?.clear();  // the files live on in IndexedDB only
    this.#mounted = undefined;
    this.#unlock?.();
    this.#unlock = undefined;
  }
}
