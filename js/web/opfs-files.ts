// A directory of the core's file system whose files live in the Origin Private File System.
// The core reads and writes files synchronously, and OPFS gives synchronous access only
// through handles that are themselves opened asynchronously; so the directory keeps a pool of
// OPFS files ("slots"), each opened once with createSyncAccessHandle, and a file the core
// creates takes a free slot at once. Each slot begins with a header naming the file it holds;
// the file's bytes follow the header. Renaming a file rewrites its slot's header (a newer
// generation wins when a crash leaves two slots claiming one name); removing it frees the
// slot. The pool is topped up between core calls (reserve()), never during one.

import type { EmscriptenFS, EmscriptenNode as EmNode, EmscriptenStream as EmStream } from '../core/core-fs.js';
import { AtomServicesError } from '../core/errors.js';

/** The synchronous handle OPFS gives a dedicated worker (not in TypeScript's DOM library). */
export interface SyncAccessHandle {
  read(into: ArrayBufferView, options: { at: number }): number;
  write(from: ArrayBufferView, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}


const HEADER_BYTES = 4096;
const MAGIC = 0x41535031;  // "ASP1"
const FIELDS_BYTES = 20;   // magic, name length, generation (f64), checksum
const MAX_NAME_BYTES = 1024;
// A core call creates at most a few files (a new segment and its index; a merge and its
// index); with this many free slots before each call, none runs out.
const MIN_FREE_SLOTS = 16;
const SLOT_PREFIX = 'slot-';

const DIRECTORY_MODE = 0o40755;
const FILE_MODE = 0o100644;
// Emscripten's errno values (WASI's numbering).
const ENOENT = 44;
const ENOSPC = 51;
const EPERM = 63;
const EIO = 29;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Slot {
  file: string;
  handle: SyncAccessHandle;
  /** The file it holds; undefined when free. */
  name: string | undefined;
  generation: number;
  /** Bytes of the file it holds (without the header). */
  size: number;
  headerDirty: boolean;
}

/** FNV-1a over the header's fields: a torn header is read as a free slot. */
function checksum(...parts: Uint8Array[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) for (const byte of part) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

function encodeHeader(name: string | undefined, generation: number): Uint8Array {
  const nameBytes = encoder.encode(name ?? '');
  const header = new Uint8Array(FIELDS_BYTES + nameBytes.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, name === undefined ? 0 : MAGIC, true);
  view.setUint32(4, nameBytes.length, true);
  view.setFloat64(8, generation, true);
  header.set(nameBytes, FIELDS_BYTES);
  view.setUint32(16, checksum(header.subarray(4, 16), nameBytes), true);
  return header;
}

function decodeHeader(header: Uint8Array): { name: string; generation: number } | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.byteLength < FIELDS_BYTES || view.getUint32(0, true) !== MAGIC) return undefined;
  const length = view.getUint32(4, true);
  if (length === 0 || length > MAX_NAME_BYTES || FIELDS_BYTES + length > header.byteLength) return undefined;
  const nameBytes = header.subarray(FIELDS_BYTES, FIELDS_BYTES + length);
  if (view.getUint32(16, true) !== checksum(header.subarray(4, 16), nameBytes)) return undefined;
  return { name: decoder.decode(nameBytes), generation: view.getFloat64(8, true) };
}

/** Waits for every promise (so that no handle opens after a failure was reported), then fails with the first failure. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens a sync handle. A worker that held the store and was just killed may still hold its
 * handles for a moment after its lock was released: try again for a while.
 */
async function openHandle(file: FileSystemFileHandle): Promise<SyncAccessHandle> {
  const create = (file as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle;
  for (let attempt = 0; ; attempt++) {
    let handle: SyncAccessHandle;
    try {
      handle = await create.call(file);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (attempt >= 200 || (name !== 'NoModificationAllowedError' && name !== 'InvalidStateError')) throw error;
      await sleep(50);
      continue;
    }
    // Browsers of the first version of the API answer getSize() and flush() with promises.
    if (typeof handle.getSize() !== 'number') {
      handle.close();
      throw new AtomServicesError('NOT_SUPPORTED', "this browser's OPFS handles are not synchronous (an early version of the API); use IndexedDBEventStore");
    }
    return handle;
  }
}

/** Whether this context can open OPFS files for synchronous access (dedicated workers only). */
export function hasSyncAccess(): boolean {
  const handle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function'
    && handle !== undefined && 'createSyncAccessHandle' in handle.prototype;
}

export class SlotPool {
  readonly #directory: FileSystemDirectoryHandle;
  readonly #slots: Slot[] = [];
  readonly #byName = new Map<string, Slot>();
  #generation = 0;
  #nextFile = 0;
  #growing: Promise<void> | undefined;

  private constructor(directory: FileSystemDirectoryHandle) {
    this.#directory = directory;
  }

  /** Opens every slot of `directory` and reads which file each holds. */
  static async open(directory: FileSystemDirectoryHandle): Promise<SlotPool> {
    const pool = new SlotPool(directory);
    try {
      await pool.#load();
      await pool.reserve();
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  async #load(): Promise<void> {
    const entries = (directory: FileSystemDirectoryHandle) =>
      (directory as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
    const opening: Promise<void>[] = [];  // all at once: each open is a round trip to the browser
    for await (const entry of entries(this.#directory)) {
      if (entry.kind !== 'file' || !entry.name.startsWith(SLOT_PREFIX)) continue;
      const number = Number(entry.name.slice(SLOT_PREFIX.length));
      if (Number.isSafeInteger(number)) this.#nextFile = Math.max(this.#nextFile, number + 1);
      opening.push(openHandle(entry as FileSystemFileHandle).then((handle) => { this.#slots.push(this.#readSlot(entry.name, handle)); }));
    }
    await settleAll(opening);
    // Oldest generations first, so that a rename cut short by a crash resolves to its newer slot.
    const held = this.#slots.filter((slot) => slot.name !== undefined).sort((a, b) => a.generation - b.generation);
    for (const slot of held) {
      const older = this.#byName.get(slot.name as string);
      if (older) this.#free(older);
      this.#byName.set(slot.name as string, slot);
      this.#generation = Math.max(this.#generation, slot.generation);
    }
    this.flushHeaders();
  }

  #readSlot(file: string, handle: SyncAccessHandle): Slot {
    const header = new Uint8Array(FIELDS_BYTES + MAX_NAME_BYTES);
    const read = handle.getSize() >= FIELDS_BYTES ? handle.read(header, { at: 0 }) : 0;
    const held = decodeHeader(header.subarray(0, read));
    const slot: Slot = { file, handle, name: held?.name, generation: held?.generation ?? 0, size: 0, headerDirty: false };
    if (held) slot.size = Math.max(0, handle.getSize() - HEADER_BYTES);
    else if (handle.getSize() > 0) this.#free(slot);  // a torn header, or a file freed before a crash
    return slot;
  }

  /** Adds slots until enough are free for the next core call. */
  reserve(): Promise<void> {
    if (this.#freeSlots() >= MIN_FREE_SLOTS) return Promise.resolve();
    this.#growing ??= (async () => {
      try {
        const add = async (file: string) => {
          const handle = await openHandle(await this.#directory.getFileHandle(file, { create: true }));
          this.#slots.push({ file, handle, name: undefined, generation: 0, size: 0, headerDirty: false });
        };
        const files = Array.from({ length: MIN_FREE_SLOTS - this.#freeSlots() }, () => `${SLOT_PREFIX}${String(this.#nextFile++).padStart(6, '0')}`);
        await settleAll(files.map(add));
      } finally {
        this.#growing = undefined;
      }
    })();
    return this.#growing;
  }

  #freeSlots(): number {
    return this.#slots.length - this.#byName.size;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  find(name: string): Slot | undefined {
    return this.#byName.get(name);
  }

  create(name: string): Slot {
    if (encoder.encode(name).length > MAX_NAME_BYTES) throw new Error(`file name too long: ${name}`);
    const slot = this.#slots.find((s) => s.name === undefined);
    if (!slot) throw new Error('no free OPFS slot');
    this.#claim(slot, name);
    return slot;
  }

  /** Gives `slot` the name `to`; the slot that held `to` is freed once the rename is durable. */
  rename(slot: Slot, to: string): void {
    const replaced = this.#byName.get(to);
    this.#byName.delete(slot.name as string);
    this.#claim(slot, to);
    if (replaced && replaced !== slot) {
      slot.handle.flush();  // the new name is on disk before the old holder lets go of it
      slot.headerDirty = false;
      this.#free(replaced);
    }
  }

  remove(name: string): void {
    const slot = this.#byName.get(name);
    if (slot) this.#free(slot);
  }

  #claim(slot: Slot, name: string): void {
    slot.name = name;
    slot.generation = ++this.#generation;
    slot.handle.write(encodeHeader(name, slot.generation), { at: 0 });
    if (slot.handle.getSize() < HEADER_BYTES) slot.handle.truncate(HEADER_BYTES);
    slot.headerDirty = true;
    this.#byName.set(name, slot);
  }

  #free(slot: Slot): void {
    if (slot.name !== undefined && this.#byName.get(slot.name) === slot) this.#byName.delete(slot.name);
    slot.name = undefined;
    slot.size = 0;
    slot.handle.truncate(0);  // gives the space back, and leaves no header
    slot.headerDirty = true;
  }

  read(slot: Slot, into: Uint8Array, at: number): number {
    const length = Math.max(0, Math.min(into.length, slot.size - at));
    return length === 0 ? 0 : slot.handle.read(into.subarray(0, length), { at: HEADER_BYTES + at });
  }

  write(slot: Slot, from: Uint8Array, at: number): number {
    const written = slot.handle.write(from, { at: HEADER_BYTES + at });
    slot.size = Math.max(slot.size, at + written);
    return written;
  }

  truncate(slot: Slot, size: number): void {
    slot.handle.truncate(HEADER_BYTES + size);
    slot.size = size;
  }

  /** Makes a file's bytes (and its header) durable. */
  flush(slot: Slot): void {
    slot.handle.flush();
    slot.headerDirty = false;
  }

  /** Makes every name change durable (the directory's fsync). */
  flushHeaders(): void {
    for (const slot of this.#slots) if (slot.headerDirty) this.flush(slot);
  }

  close(): void {
    for (const slot of this.#slots) slot.handle.close();
    this.#slots.length = 0;
    this.#byName.clear();
  }
}

/**
 * An Emscripten file system type for FS.mount: one flat directory whose files are the pool's.
 * `errno` maps a failure inside OPFS to the core's STORE_FAILURE through the C library.
 */
export function slotFileSystem(FS: EmscriptenFS, pool: SlotPool): object {
  const fail = (errno: number): never => { throw new FS.ErrnoError(errno); };
  const guarded = <A extends unknown[], R>(body: (...args: A) => R) => (...args: A): R => {
    try {
      return body(...args);
    } catch (error) {
      if (error instanceof FS.ErrnoError) throw error;
      const message = error instanceof Error ? error.message : '';
      return fail(message.startsWith('no free') ? ENOSPC : EIO);
    }
  };
  const slotOf = (node: EmNode): Slot => (node.host as Slot | undefined) ?? fail(ENOENT);
  const fileNode = (parent: EmNode, name: string, slot: Slot): EmNode => {
    const node = FS.createNode(parent, name, FILE_MODE, 0);
    node.node_ops = nodeOps;
    node.stream_ops = streamOps;
    node.host = slot;
    return node;
  };
  const attributes = (node: EmNode) => {
    const directory = node.host === undefined;
    const size = directory ? HEADER_BYTES : slotOf(node).size;
    const time = new Date(0);
    return {
      dev: 1, ino: node.id, mode: node.mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size,
      atime: time, mtime: time, ctime: time, blksize: HEADER_BYTES, blocks: Math.ceil(size / 512),
    };
  };
  const nodeOps = {
    getattr: guarded(attributes),
    setattr: guarded((node: EmNode, attr: { size?: number }) => {
      if (attr.size !== undefined && node.host) pool.truncate(node.host as Slot, attr.size);
    }),
    lookup: guarded((parent: EmNode, name: string) => {
      const slot = pool.find(name);
      return slot ? fileNode(parent, name, slot) : fail(ENOENT);
    }),
    mknod: guarded((parent: EmNode, name: string, mode: number) => {
      if ((mode & 0o170000) !== 0o100000) fail(EPERM);  // files only: the store's directory is flat
      return fileNode(parent, name, pool.create(name));
    }),
    rename: guarded((node: EmNode, directory: EmNode, name: string) => {
      try {
        FS.hashRemoveNode(FS.lookupNode(directory, name));  // the file it replaces
      } catch { /* no such file */ }
      pool.rename(slotOf(node), name);
      node.name = name;
    }),
    unlink: guarded((_parent: EmNode, name: string) => pool.remove(name)),
    rmdir: () => fail(EPERM),
    readdir: guarded(() => ['.', '..', ...pool.names()]),
    symlink: () => fail(EPERM),
  };
  const streamOps = {
    read: guarded((stream: EmStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      pool.read(slotOf(stream.node), new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), position)),
    write: guarded((stream: EmStream, buffer: Int8Array, offset: number, length: number, position: number) =>
      pool.write(slotOf(stream.node), new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), position)),
    llseek: guarded((stream: EmStream, offset: number, whence: number) => {
      const end = () => (stream.node.host ? (stream.node.host as Slot).size : 0);
      const base = whence === 1 ? stream.position : whence === 2 ? end() : 0;
      return base + offset < 0 ? fail(28) : base + offset;
    }),
  };
  return {
    mount: () => {
      const root = FS.createNode(null, '/', DIRECTORY_MODE, 0);
      root.node_ops = nodeOps;
      root.stream_ops = { llseek: streamOps.llseek };  // readdir() seeks the directory's stream
      return root;
    },
  };
}

export type { Slot };
