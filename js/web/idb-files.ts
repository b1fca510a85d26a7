// A directory of the core's in-memory file system, persisted to one IndexedDB database.
// The store's files only grow, except when segments are merged: each flush saves what a
// file gained since the last flush as one chunk, and saves a file whole only when it is
// new, replaced, or closed in many small chunks (which are then folded into one).
// A flush is one transaction, so it lands whole or not at all; an append thus costs one
// transaction shared by everyone waiting, and each byte is written about once (plus merges).
import type { CoreDirectory } from '../core/core-fs.js';

const CHUNKS = 'chunks';  // key [file name, offset] → Uint8Array
// A closed file in more chunks than this is saved again whole, so that opening a store
// reads few records even when every flush carried a single small event.
const MAX_CHUNKS = 32;

interface Saved {
  node: number;    // the in-memory file's identity: a merge replaces the file under its name
  length: number;  // bytes saved
  chunks: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'));
    tx.onerror = () => reject(tx.error);
  });
}

const fileRange = (name: string) => IDBKeyRange.bound([name, 0], [name, Infinity]);

export class IdbFiles {
  readonly #db: IDBDatabase;
  readonly #durability: IDBTransactionDurability;
  readonly #saved = new Map<string, Saved>();

  private constructor(db: IDBDatabase, durability: IDBTransactionDurability) {
    this.#db = db;
    this.#durability = durability;
  }

  static async open(name: string, durability: IDBTransactionDurability): Promise<IdbFiles> {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => { req.result.createObjectStore(CHUNKS); };
    return new IdbFiles(await request(req), durability);
  }

  /** Fills `directory` (emptied first) with the files the database holds. */
  async load(directory: CoreDirectory): Promise<void> {
    directory.clear();
    const tx = this.#db.transaction(CHUNKS, 'readonly');
    const store = tx.objectStore(CHUNKS);
    const [keys, values]: [IDBValidKey[], Uint8Array[]] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    const files = new Map<string, Uint8Array[]>();
    keys.forEach((key, i) => {  // in key order: by file, then offset
      const [name] = key as [string, number];
      const parts = files.get(name) ?? [];
      parts.push(values[i] as Uint8Array);
      files.set(name, parts);
    });
    for (const [name, parts] of files) {
      const bytes = concat(parts);
      directory.writeFile(name, bytes);
      this.#saved.set(name, { node: directory.memoryFile(name).id, length: bytes.length, chunks: parts.length });
    }
  }

  /** Saves what changed in `directory` since the last call, in one transaction. */
  async persist(directory: CoreDirectory): Promise<void> {
    const names = directory.names().sort();
    const newest = names.filter((name) => !name.endsWith('.tmp')).at(-1);
    const tx = this.#db.transaction(CHUNKS, 'readwrite', { durability: this.#durability });
    const store = tx.objectStore(CHUNKS);
    // Every byte is copied before the first await: later appends belong to the next flush.
    for (const name of names) {
      const file = directory.memoryFile(name);
      const length = file.bytes.length;
      const saved = this.#saved.get(name);
      const bytes = (from: number) => file.bytes.slice(from);
      const same = saved !== undefined && saved.node === file.id;
      if (same && saved.length === length && (name === newest || saved.chunks <= MAX_CHUNKS)) continue;
      if (same && saved.length < length && (name === newest || saved.chunks < MAX_CHUNKS)) {
        store.put(bytes(saved.length), [name, saved.length]);
        this.#saved.set(name, { node: file.id, length, chunks: saved.chunks + 1 });
        continue;
      }
      if (saved) store.delete(fileRange(name));
      store.put(bytes(0), [name, 0]);
      this.#saved.set(name, { node: file.id, length, chunks: 1 });
    }
    for (const name of [...this.#saved.keys()]) {
      if (names.includes(name)) continue;
      store.delete(fileRange(name));
      this.#saved.delete(name);
    }
    await completion(tx);
  }

  close(): void {
    this.#db.close();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
