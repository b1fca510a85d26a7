// Node: a durable store in a real directory, mounted into the core through NODEFS.
// Durability: the core writes through to the file; a flush fsyncs the file (and the
// directory after files were created or renamed) with Node's fs, since fsync() from inside
// the WebAssembly module does nothing on NODEFS.
import { closeSync, existsSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CoreModule, DurableCoreStore } from '../core/core.js';
import { callCore } from '../core/core.js';
import { CoreDirectory, openFile } from '../core/core-fs.js';
import { lockDirectory, type DirectoryLock } from './directory-lock.js';
import { DurableEventStore, type DurableStoreOptions, type Mounted } from './durable-store.js';
import { AtomServicesError, invalidArgument } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';

export interface FileEventStoreOptions extends DurableStoreOptions {
  /** The directory holding the store's files; created when missing. */
  directory: string;
}

const SEGMENT_BYTES = 16 << 20;  // Node writes only what was appended, so segments can be big
// Eight closed segments merge into one of 128 MiB: few files, and a merge (copied in 1 MiB
// pieces, on the append that closes a segment) rewrites at most that much.
const MERGED_BYTES = 8 * SEGMENT_BYTES;
// close() seals an active segment past this size, so the next open scans at most this much.
const SEAL_AT_CLOSE_BYTES = 1 << 20;
// Two fsyncs may be in flight, and a group of this many starts one without waiting: while
// the disk syncs one group, the next one is being appended.
const FLUSH_DEPTH = 3;
const MAX_GROUP = 34;
let mounts = 0;

const fsyncAsync = (fd: number) => new Promise<void>((resolve, reject) => {
  fsync(fd, (error) => { if (error) reject(error); else resolve(); });
});

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What tells one directory from another that later takes its place. */
function identity(path: string): string {
  const { dev, ino } = statSync(path, { bigint: true });
  return `${dev}:${ino}`;
}

interface SyncHandle {
  path: string;
  fd: number;
  users: number;     // flushes in flight using it
  retired: boolean;  // no longer the file being appended to
}

/** What a flush must make durable once the core has written it. */
interface PendingSync {
  file?: string;
  directory: boolean;
}

function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncDirectoryAsync(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Keeps events in files in a directory, durable on disk: a resolved append survives a crash. */
/**
 * mkdir -p without `{ recursive: true }`, which Node 20 retries forever, blocking the event
 * loop, under a parent that says ENOENT for a child it cannot hold (/proc).
 */
function makeDirectories(path: string): void {
  const missing: string[] = [];
  for (let at = path; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.push(at);
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
}

export class FileEventStore extends DurableEventStore {
  readonly directory: string;
  #realDirectory: string | undefined;
  #mounted: CoreDirectory | undefined;
  #pending: PendingSync | undefined;
  /** Files the core synced at once (a segment closing, a merge): one a flush noted may be merged away meanwhile, synced. */
  #closedSyncs = 0;
  #handle: SyncHandle | undefined;
  #lock: DirectoryLock | undefined;
  #identity: string | undefined;

  constructor(options: FileEventStoreOptions) {
    super(typeof options === 'object' && options !== null ? options : {}, FLUSH_DEPTH, MAX_GROUP);
    if (typeof options !== 'object' || options === null || typeof options.directory !== 'string' || options.directory === '') {
      throw invalidArgument('options.directory', 'must be a non-empty string naming a directory');
    }
    checkOptionKeys(options, 'options', ['directory', 'cacheBytes'], 'a FileEventStore option');
    if (options.directory.includes('\0')) throw invalidArgument('options.directory', 'must not contain a NUL character');
    this.directory = resolve(options.directory);
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    let real: string;
    try {
      makeDirectories(this.directory);
      real = realpathSync(this.directory);
    } catch (error) {
      throw new AtomServicesError('STORE_FAILURE', `could not create or use the directory ${this.directory}: ${errorText(error)}`, {}, error);
    }
    this.#lock = await lockDirectory(real);
    this.#realDirectory = real;
    this.#identity = identity(real);
    const mountpoint = `/atomservices/files/${++mounts}`;
    try {
      this.#mounted = CoreDirectory.mount(core, mountpoint, 'NODEFS', { root: real });
    } catch (error) {
      this.#unlock();
      throw new AtomServicesError('STORE_FAILURE', `could not open the directory ${real}: ${errorText(error)}`, {}, error);
    }
    const syncer = {
      // Inside a flush the fsync is only noted, and runs off the event loop afterwards, so
      // appends go on meanwhile; when a segment closes or merges it must happen at once.
      syncFile: (fd: number) => {
        const file = openFile(core, fd);
        if (file?.hostFd === undefined) throw new Error(`no open file for descriptor ${fd}`);
        if (this.#pending) {
          this.#pending.file = `${real}${file.path.slice(mountpoint.length)}`;
        } else {
          fsyncSync(file.hostFd);
          this.#closedSyncs++;
        }
      },
      syncDirectory: () => {
        if (this.#pending) this.#pending.directory = true;
        else syncDirectory(real);
      },
    };
    return { path: mountpoint, shownPath: real, segmentBytes: SEGMENT_BYTES, maxMergedBytes: MERGED_BYTES, autoMerge: true,
      sealAtCloseBytes: SEAL_AT_CLOSE_BYTES, syncer };
  }

  protected async flush(store: DurableCoreStore): Promise<void> {
    const pending: PendingSync = { directory: false };
    this.#pending = pending;
    try {
      callCore(() => store.sync());
    } finally {
      this.#pending = undefined;
    }
    let unlinked = false;
    if (pending.file) {
      const handle = this.#acquire(pending.file);
      const closedSyncs = this.#closedSyncs;
      try {
        await fsyncAsync(handle.fd);
        // Unlinked by a merge (after the core synced it whole) is no loss; by anyone else it is.
        unlinked = fstatSync(handle.fd).nlink === 0 && this.#closedSyncs === closedSyncs;
      } finally {
        this.#release(handle);
      }
    }
    if (pending.directory) await fsyncDirectoryAsync(this.#realDirectory as string);
    if (unlinked || !this.#stillThere()) {
      throw new AtomServicesError('STORE_FAILURE', `the store's directory ${this.#realDirectory} was deleted, moved or ` +
        'replaced while the store was open, so its newest events are not in it (they may be where the directory went); open the store again');
    }
  }

  /** Events written into a directory that was deleted, or replaced by another, are lost however well they are synced. */
  #stillThere(): boolean {
    try {
      return identity(this.#realDirectory as string) === this.#identity;
    } catch {
      return false;
    }
  }

  /**
   * Our own descriptor for the file being appended to: fsync through any descriptor of a
   * file makes all of it durable, and the core may close its own while our fsync runs.
   * A descriptor is closed once it is neither current nor in use by a flush in flight.
   */
  #acquire(path: string): SyncHandle {
    if (this.#handle?.path !== path) {
      this.#retire();
      this.#handle = { path, fd: openSync(path, 'r'), users: 0, retired: false };
    }
    this.#handle.users++;
    return this.#handle;
  }

  #release(handle: SyncHandle): void {
    handle.users--;
    if (handle.retired && handle.users === 0) closeSync(handle.fd);
  }

  #retire(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) return;
    handle.retired = true;
    if (handle.users === 0) closeSync(handle.fd);
  }

  protected async unmount(): Promise<void> {
    this.#retire();
    if (this.#mounted) {
      try {
        this.#mounted.unmount();
      } catch {
        // the core store may already have released it
      }
    }
    this.#unlock();
    this.#mounted = undefined;
  }

  #unlock(): void {
    this.#lock?.release();
    this.#lock = undefined;
  }
}
