// The one module that knows Emscripten's file system (FS) inside the core's module: the
// stores mount their directories and read the in-memory files through these few functions,
// so an Emscripten upgrade that changes FS touches this file only (and opfs-files.ts, which
// implements a file system type for it).
import type { CoreModule } from './core.js';

/** What of FS this module and opfs-files.ts use; node and stream fields beyond these are MEMFS's or NODEFS's own. */
export interface EmscriptenFS {
  mkdirTree(path: string): void;
  mount(type: unknown, options: object, mountpoint: string): void;
  unmount(mountpoint: string): void;
  lookupPath(path: string): { node: EmscriptenNode };
  getStream(fd: number): EmscriptenStream | null;
  readdir(path: string): string[];
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  filesystems: Record<string, unknown>;
  createNode(parent: EmscriptenNode | null, name: string, mode: number, rdev: number): EmscriptenNode;
  lookupNode(parent: EmscriptenNode, name: string): EmscriptenNode;
  hashRemoveNode(node: EmscriptenNode): void;
  ErrnoError: new (errno: number) => Error;
}

export interface EmscriptenNode {
  id: number;
  name: string;
  mode: number;
  node_ops: object;
  stream_ops: object;
  /** MEMFS: the file's bytes (its buffer may be larger than the file) and its length. */
  contents?: Uint8Array | null;
  usedBytes?: number;
  /** What a mounted file system of ours attaches to its nodes (opfs-files.ts: the OPFS slot). */
  host?: unknown;
}

export interface EmscriptenStream {
  node: EmscriptenNode;
  path: string;
  position: number;
  /** NODEFS: the host file descriptor. */
  nfd?: number;
}

/** The core's FS, for a file system type that must build its nodes (opfs-files.ts). */
export const fsOf = (core: CoreModule): EmscriptenFS => core.FS as EmscriptenFS;

/** A file of the core's in-memory file system: its identity (a rename onto its name makes another) and a view of its bytes. */
export interface MemoryFile {
  id: number;
  /** Valid until the next core call: copy what must outlive it. */
  bytes: Uint8Array;
}

/** A directory of the core's file system, by its path there. */
export class CoreDirectory {
  readonly path: string;
  readonly #fs: EmscriptenFS;

  constructor(core: CoreModule, path: string) {
    this.#fs = fsOf(core);
    this.path = path;
  }

  /** Creates the directory (and its parents) in the core's memory. */
  static create(core: CoreModule, path: string): CoreDirectory {
    fsOf(core).mkdirTree(path);
    return new CoreDirectory(core, path);
  }

  /** Mounts a file system there: Node's directory `root`, or a type of ours (opfs-files.ts). */
  static mount(core: CoreModule, path: string, type: 'NODEFS' | object, options: object = {}): CoreDirectory {
    const fs = fsOf(core);
    fs.mkdirTree(path);
    fs.mount(type === 'NODEFS' ? fs.filesystems.NODEFS : type, options, path);
    return new CoreDirectory(core, path);
  }

  unmount(): void {
    this.#fs.unmount(this.path);
  }

  names(): string[] {
    return this.#fs.readdir(this.path).filter((name) => name !== '.' && name !== '..');
  }

  memoryFile(name: string): MemoryFile {
    const { node } = this.#fs.lookupPath(`${this.path}/${name}`);
    const length = node.usedBytes ?? 0;
    return { id: node.id, bytes: (node.contents ?? new Uint8Array(0)).subarray(0, length) };
  }

  writeFile(name: string, bytes: Uint8Array): void {
    this.#fs.writeFile(`${this.path}/${name}`, bytes);
  }

  /** Removes the directory's files (it holds no subdirectories). */
  clear(): void {
    for (const name of this.names()) this.#fs.unlink(`${this.path}/${name}`);
  }
}

/** The open file behind a descriptor the core gave its syncer: its path in the core's file system, NODEFS's host descriptor, or what our file system attached. */
export function openFile(core: CoreModule, fd: number): { path: string; hostFd?: number; host?: unknown } | undefined {
  const stream = fsOf(core).getStream(fd);
  return stream ? { path: stream.path, hostFd: stream.nfd, host: stream.node.host } : undefined;
}
