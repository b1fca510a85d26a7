// Node: a durable store in a real directory, mounted into the core through NODEFS.
// Durability: the core writes through to the file; a flush fsyncs the file (and the
// directory after files were created or renamed) with Node's fs, since fsync() from inside
// the WebAssembly module does nothing on NODEFS.
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CoreModule, DurableCoreStore } from './core.js';
import { callCore } from './core.js';
import { DurableEventStore, type Mounted } from './durable-store.js';
import { AtomServicesError, invalidArgument } from './errors.js';

export interface FileEventStoreOptions {
  /** The directory holding the store's files; created when missing. */
  directory: string;
}

const LOCK_FILE = 'LOCK';
const SEGMENT_BYTES = 16 << 20;  // Node writes only what was appended, so segments can be big
// Two fsyncs may be in flight, and a group of this many starts one without waiting: while
// the disk syncs one group, the next one is being appended.
const FLUSH_DEPTH = 3;
const MAX_GROUP = 34;
const openHere = new Set<string>();
let mounts = 0;

const fsyncAsync = (fd: number) => new Promise<void>((resolve, reject) => {
  fsync(fd, (error) => { if (error) reject(error); else resolve(); });
});

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One writer per directory: a lock file naming the owning process; a dead owner's lock is taken over. */
function lock(directory: string): void {
  const path = `${directory}/${LOCK_FILE}`;
  const locked = (owner: string) => new AtomServicesError('STORE_LOCKED',
    `the store in ${directory} is open in ${owner}; close it there first`);
  if (openHere.has(directory)) throw locked('this process');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      openHere.add(directory);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw locked(`process ${owner}`);
    unlinkSync(path);  // left by a process that died, or by this one before a restart
  }
  throw locked('another process');
}

function unlock(directory: string): void {
  openHere.delete(directory);
  try {
    unlinkSync(`${directory}/${LOCK_FILE}`);
  } catch {
    // already gone: nothing to release
  }
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
export class FileEventStore extends DurableEventStore {
  readonly directory: string;
  #realDirectory: string | undefined;
  #mountpoint: string | undefined;
  #core: CoreModule | undefined;
  #pending: PendingSync | undefined;
  #handle: SyncHandle | undefined;

  constructor(options: FileEventStoreOptions) {
    super(FLUSH_DEPTH, MAX_GROUP);
    if (typeof options !== 'object' || options === null || typeof options.directory !== 'string' || options.directory === '') {
      throw invalidArgument('options.directory', 'must be a non-empty string naming a directory');
    }
    this.directory = resolve(options.directory);
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    try {
      mkdirSync(this.directory, { recursive: true });
      this.#realDirectory = realpathSync(this.directory);
    } catch (error) {
      throw new AtomServicesError('STORE_FAILURE', `could not create or use the directory ${this.directory}: ${errorText(error)}`, {}, error);
    }
    const real = this.#realDirectory;
    lock(real);
    const mountpoint = `/atomservices/files/${++mounts}`;
    try {
      core.FS.mkdirTree(mountpoint);
      core.FS.mount(core.FS.filesystems.NODEFS, { root: real }, mountpoint);
    } catch (error) {
      unlock(real);
      throw new AtomServicesError('STORE_FAILURE', `could not open the directory ${real}: ${errorText(error)}`, {}, error);
    }
    this.#mountpoint = mountpoint;
    this.#core = core;
    const syncer = {
      // Inside a flush the fsync is only noted, and runs off the event loop afterwards, so
      // appends go on meanwhile; when a segment closes or merges it must happen at once.
      syncFile: (fd: number) => {
        const stream = core.FS.getStream(fd);
        if (stream?.nfd === undefined) throw new Error(`no open file for descriptor ${fd}`);
        if (this.#pending) this.#pending.file = `${real}${stream.path.slice(mountpoint.length)}`;
        else fsyncSync(stream.nfd);
      },
      syncDirectory: () => {
        if (this.#pending) this.#pending.directory = true;
        else syncDirectory(real);
      },
    };
    return { path: mountpoint, segmentBytes: SEGMENT_BYTES, autoMerge: true, syncer };
  }

  protected async flush(store: DurableCoreStore): Promise<void> {
    const pending: PendingSync = { directory: false };
    this.#pending = pending;
    try {
      callCore(() => store.sync());
    } finally {
      this.#pending = undefined;
    }
    if (pending.file) {
      const handle = this.#acquire(pending.file);
      try {
        await fsyncAsync(handle.fd);
      } finally {
        this.#release(handle);
      }
    }
    if (pending.directory) await fsyncDirectoryAsync(this.#realDirectory as string);
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
    if (this.#mountpoint && this.#core) {
      try {
        this.#core.FS.unmount(this.#mountpoint);
      } catch {
        // the core store may already have released it
      }
    }
    if (this.#realDirectory) unlock(this.#realDirectory);
    this.#mountpoint = undefined;
  }
}
