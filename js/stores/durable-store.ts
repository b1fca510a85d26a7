// What the file and IndexedDB stores share: the core's segment store, opened on a mounted
// directory, and group commit of its flushes.
import type { CoreModule, CoreStore, DurableCoreStore, Syncer } from '../core/core.js';
import { callCore } from '../core/core.js';
import { invalidArgument, storeClosed } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import { GroupCommit } from './group-commit.js';
import { NativeEventStore } from './native-store.js';

export interface StorageStats {
  /** Events in the store. */
  events: number;
  /** Segment files in the store's directory. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** Bytes of an unfinished last write cut when the store was opened. */
  tornBytesCut: number;
  /** Flushes (fsyncs or IndexedDB transactions) since the store was opened: group commit makes them fewer than appends. */
  flushes: number;
  /** Reads of event bodies from closed segments served by the cache, and those that read a file. */
  cacheHits: number;
  cacheMisses: number;
  /** Bytes the read cache holds. */
  cacheBytes: number;
  /** Index files of closed segments, and the bytes of their summaries held in memory. */
  indexFiles: number;
  indexMemory: number;
  /** Bytes of the WebAssembly core's memory, which every store of the page or process shares. */
  memoryBytes: number;
}

/** What verify() found: every closed segment read whole and checked against its index. */
export interface VerifyReport {
  segments: number;
  events: number;
}

export interface VerifyOptions {
  /** Called after each segment. */
  onProgress?: (progress: { segment: number; segments: number; events: number }) => void;
}

/** Options every durable store takes. */
export interface DurableStoreOptions {
  /** Bytes of segment and index pieces kept in memory for reads (default 16 MiB). */
  cacheBytes?: number;
}

export function checkVerifyOptions(options: unknown): asserts options is VerifyOptions {
  checkOptionKeys(options, 'options', ['onProgress'], 'a verify option');
  const { onProgress } = options as VerifyOptions;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalidArgument('options.onProgress', 'must be a function ({ segment, segments, events }) => void');
  }
}

/** Where a store's data stopped being trustworthy, found when it was opened. */
export interface StoreCorruption {
  file: string;
  offset: number;
  reason: string;
}

export interface Mounted {
  /** The store's directory inside the core's file system. */
  path: string;
  /** What error messages call that directory instead (the user's own path). */
  shownPath?: string;
  segmentBytes: number;
  /** Closed segments merge eight at a time while the result stays within this size. */
  maxMergedBytes: number;
  /** Merge segments when one closes (false: the flush calls compact() first). */
  autoMerge: boolean;
  /**
   * close() seals an active segment of at least this many bytes with its index, so that the
   * next open reads no frames of it (0 or absent: never, where close cannot write files).
   */
  sealAtCloseBytes?: number;
  syncer: Syncer;
}

/** Replaces a directory in a message: "/atomservices/files/2/x", not "/atomservices/files/21/x". */
function replacePath(message: string, path: string, shown: string): string {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message.replace(new RegExp(`${escaped}(?![^/\\s:;,)])`, 'g'), shown);
}

const DEFAULT_CACHE_BYTES = 16 << 20;
const MAX_CACHE_BYTES = 1 << 30;

export abstract class DurableEventStore extends NativeEventStore {
  #store: DurableCoreStore | undefined;
  #paths: { path: string; shownPath?: string } | undefined;
  #flushes = 0;
  readonly #commits: GroupCommit;
  readonly #cacheBytes: number;

  /** How many flushes may be in flight at once, and the group that starts one early (see GroupCommit). */
  constructor(options: DurableStoreOptions, flushDepth = 1, maxGroup = Infinity) {
    super();
    const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0 || cacheBytes > MAX_CACHE_BYTES) {
      throw invalidArgument('options.cacheBytes', `must be a whole number of bytes from 0 to ${MAX_CACHE_BYTES}`);
    }
    this.#cacheBytes = cacheBytes;
    this.#commits = new GroupCommit(async () => {
      try {
        this.#flushes++;
        await this.flush(this.#store as DurableCoreStore);
      } catch (error) {
        throw this.poison(error);
      }
    }, flushDepth, maxGroup);
  }

  /** Locks and mounts the store's directory in the core's file system. */
  protected abstract mount(core: CoreModule): Promise<Mounted>;
  /** Makes everything appended durable: the core's sync, then the platform's. Starts its work synchronously. */
  protected abstract flush(store: DurableCoreStore): Promise<void>;
  /** Unmounts and unlocks. */
  protected abstract unmount(): Promise<void>;

  protected async open(core: CoreModule): Promise<CoreStore> {
    const { path, shownPath, segmentBytes, maxMergedBytes, autoMerge, sealAtCloseBytes = 0, syncer } = await this.mount(core);
    this.#paths = { path, shownPath };
    const store = new core.DurableStore();
    try {
      callCore(() => store.open(path, { segmentBytes, maxMergedBytes, cacheBytes: this.#cacheBytes, sealAtCloseBytes }, autoMerge, syncer));
    } catch (error) {
      store.delete();
      await this.unmount();
      throw error;
    }
    this.#store = store;
    return store;
  }

  protected override explain(error: unknown): unknown {
    const { path, shownPath } = this.#paths ?? {};
    if (error instanceof Error && path && shownPath) error.message = replacePath(error.message, path, shownPath);
    return error;
  }

  protected override durable(): Promise<void> {
    return this.#commits.wait();
  }

  /** Seals the active segment when the store asked for it (best effort: else the next open scans it). */
  protected override finish(store: CoreStore): void {
    try {
      callCore(() => (store as DurableCoreStore).close());
    } catch {
      // nothing is lost: the segment stays the active one
    }
  }

  protected override async release(): Promise<void> {
    this.#store = undefined;
    await this.unmount();
  }

  /** Figures about the store's files (opens the store if needed). */
  async stats(): Promise<StorageStats> {
    const store = (await this.opened()) as DurableCoreStore;
    return { ...store.stats(), flushes: this.#flushes, memoryBytes: callCore((core) => core.HEAPU8.length) };
  }

  /**
   * Reads every closed segment whole and checks it against its checksums and its index (the
   * open checks only the newest segment; older ones are checked as their events are read).
   * Damage rejects with STORE_CORRUPT and is then reported by corruption().
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    checkVerifyOptions(options);
    const store = (await this.opened()) as DurableCoreStore;
    const segments = store.closedSegments();
    let events = 0;
    for (let n = 0; n < segments; n++) {
      if (this.#store !== store) throw storeClosed('event store');  // closed between two segments
      events += callCore(() => store.verifySegment(n));
      options.onProgress?.({ segment: n + 1, segments, events });
      await new Promise((resolve) => setTimeout(resolve, 0));  // let other work in between segments
    }
    return { segments, events };
  }

  /** Where the store is damaged, if it is; it then refuses new events with STORE_CORRUPT. */
  async corruption(): Promise<StoreCorruption | undefined> {
    const store = (await this.opened()) as DurableCoreStore;
    return store.corruption();
  }
}
