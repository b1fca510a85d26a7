// Node: a durable store in a real directory, mounted into the core through NODEFS.
// Durability: the core writes through to the file; a flush fsyncs the file (and the
// directory after files were created or renamed) with Node's fs, since fsync() from inside
// the WebAssembly module does nothing on NODEFS.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
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
const openHere = new Set<string>();
let mounts = 0;

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

/** Keeps events in files in a directory, durable on disk: a resolved append survives a crash. */
export class FileEventStore extends DurableEventStore {
  readonly directory: string;
  #realDirectory: string | undefined;
  #mountpoint: string | undefined;
  #core: CoreModule | undefined;

  constructor(options: FileEventStoreOptions) {
    super();
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
      syncFile: (fd: number) => {
        const nfd = core.FS.getStream(fd)?.nfd;
        if (nfd === undefined) throw new Error(`no open file for descriptor ${fd}`);
        fsyncSync(nfd);
      },
      syncDirectory: () => {
        const fd = openSync(real, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      },
    };
    return { path: mountpoint, segmentBytes: SEGMENT_BYTES, autoMerge: true, syncer };
  }

  protected async flush(store: DurableCoreStore): Promise<void> {
    callCore(() => store.sync());
  }

  protected async unmount(): Promise<void> {
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
