// The dedicated worker of an OPFSEventStore: it runs the core's storage engine on files of
// the Origin Private File System (synchronous access exists only in dedicated workers).
// Every tab's store starts one. The worker that gets the store's Web Lock opens the store
// and serves every tab over the store's BroadcastChannel (tab-leader.ts); the others wait in
// line for the lock, to take over when the holder's tab closes, reloads or dies.
import createCore from '../../wasm/atomservices.mjs';
import { callCore, setCore, type CoreModule, type DurableCoreStore } from '../core/core.js';
import { DurableEventStore, type Mounted } from '../stores/durable-store.js';
import { AtomServicesError } from '../core/errors.js';
import { CoreDirectory, fsOf, openFile } from '../core/core-fs.js';
import { hasSyncAccess, SlotPool, slotFileSystem, type Slot } from './opfs-files.js';
import { runStoreCall } from './shared-store.js';
import { channelName, toTabError, type TabError } from './tab-channel.js';
import { TabLeader } from './tab-leader.js';
import type { AppendResult } from '../types.js';
import { canShare, requestLock } from './web-lock.js';

/** What an OPFSEventStore tells its worker. */
export type WorkerRequest =
  | { type: 'start'; name: string; channel: string; wait: boolean | undefined; cacheBytes: number | undefined; port: MessagePort }
  | { type: 'close' };

/** What the worker says: `ready` once it listens (a message sent earlier would be lost); `lost` when it took the lock over later but could not open the store. */
export type WorkerReply = { type: 'ready' } | { type: 'started' } | { type: 'failed'; error: TabError } | { type: 'lost'; error: TabError } | { type: 'closed' };

// Segments are written in place, so they can be big; eight merge into one of 128 MiB.
const SEGMENT_BYTES = 16 << 20;
const MERGED_BYTES = 8 * SEGMENT_BYTES;
// close() seals an active segment past this size, so the next open scans at most this much.
const SEAL_AT_CLOSE_BYTES = 1 << 20;
const RETRY_OPEN_MS = 1000;

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply): void;
}
const scope = globalThis as unknown as WorkerScope;

const loaded = createCore().then((core) => setCore(core as CoreModule));

/** An OPFS directory's name for a store: encoded, since OPFS refuses "/" and the names "." and "..". */
function directoryName(name: string): string {
  return encodeURIComponent(name).replace(/^\./, '%2E');
}

class OPFSEngineStore extends DurableEventStore {
  readonly #name: string;
  #pool: SlotPool | undefined;
  #mounted: CoreDirectory | undefined;

  /** Told once the store refuses every call (a failed flush). */
  onPoisoned: (() => void) | undefined;

  constructor(name: string, cacheBytes: number | undefined) {
    super({ cacheBytes });
    this.#name = name;
  }

  protected override poisoned(): void {
    this.onPoisoned?.();
  }

  /** Gives up the files' access handles at once: the next holder's worker needs them. */
  releaseFiles(): void {
    this.#pool?.close();
  }

  async start(): Promise<void> {
    await this.opened();
  }

  appendJson(json: string): Promise<AppendResult> {
    return this.appendEncoded(json);
  }

  /** Slots for the files the next calls may create. */
  reserve(): Promise<void> {
    return this.#pool?.reserve() ?? Promise.resolve();
  }

  /** A slot for the index file that sealing the newest segment writes (without one, it stays unsealed). */
  override async close(): Promise<void> {
    await this.reserve().catch(() => undefined);
    return super.close();
  }

  protected async mount(core: CoreModule): Promise<Mounted> {
    const root = await navigator.storage.getDirectory();
    const parent = await root.getDirectoryHandle('atomservices', { create: true });
    const directory = await parent.getDirectoryHandle(directoryName(this.#name), { create: true });
    const pool = await SlotPool.open(directory);
    const mountpoint = `/atomservices/opfs/${directoryName(this.#name)}`;
    try {
      this.#mounted = CoreDirectory.mount(core, mountpoint, slotFileSystem(fsOf(core), pool));
    } catch (error) {
      pool.close();
      throw error;
    }
    this.#pool = pool;
    const syncer = {
      syncFile: (fd: number) => {
        const slot = openFile(core, fd)?.host as Slot | undefined;
        if (slot) pool.flush(slot);
      },
      syncDirectory: () => pool.flushHeaders(),
    };
    return {
      path: mountpoint, shownPath: `OPFS atomservices/${directoryName(this.#name)}`,
      segmentBytes: SEGMENT_BYTES, maxMergedBytes: MERGED_BYTES, autoMerge: true, sealAtCloseBytes: SEAL_AT_CLOSE_BYTES, syncer,
    };
  }

  /** The core's sync flushes each written file's handle (the syncer above): done when it returns. */
  protected async flush(store: DurableCoreStore): Promise<void> {
    callCore(() => store.sync());
  }

  protected async unmount(): Promise<void> {
    this.#mounted?.unmount();
    this.#mounted = undefined;
    this.#pool?.close();
    this.#pool = undefined;
  }
}

let store: OPFSEngineStore | undefined;
let leader: TabLeader | undefined;
let unlock: (() => void) | undefined;
let queued: AbortController | undefined;
let closing = false;
/** The port of the tab that started this worker: its calls come there while this worker leads. */
let tabPort: MessagePort | undefined;

scope.onmessage = ({ data }) => {
  if (data.type === 'start') {
    start(data).then(
      () => scope.postMessage({ type: 'started' }),
      (error) => scope.postMessage({ type: 'failed', error: toTabError(error) }),
    );
  } else if (data.type === 'close') {
    void close().finally(() => scope.postMessage({ type: 'closed' }));
  }
};
scope.postMessage({ type: 'ready' });

async function start({ name, channel, wait, cacheBytes, port }: Extract<WorkerRequest, { type: 'start' }>): Promise<void> {
  tabPort = port;
  await loaded;
  if (!hasSyncAccess()) {
    throw new AtomServicesError('NOT_SUPPORTED',
      'this browser gives workers no synchronous access to OPFS files (FileSystemFileHandle.createSyncAccessHandle); use IndexedDBEventStore');
  }
  const share = wait === undefined && canShare();
  const release = await requestLock(channelName(channel), { ifAvailable: wait !== true });
  if (release) return lead(name, channel, cacheBytes, release);
  if (!share) {
    throw new AtomServicesError('STORE_LOCKED',
      `the OPFS store "${name}" is open in another tab or worker; close it there, or leave out wait: false to share it`);
  }
  queueForLock(name, channel, cacheBytes);
}

/** Holds the lock: opens the store and serves every tab, its own included. */
async function lead(name: string, channel: string, cacheBytes: number | undefined, release: () => void): Promise<void> {
  const engine = new OPFSEngineStore(name, cacheBytes);
  try {
    await engine.start();
  } catch (error) {
    release();
    throw error;
  }
  if (closing) {  // closed while it opened: never announce a store that is going away
    await engine.close();
    return release();
  }
  store = engine;
  unlock = release;
  engine.onPoisoned = () => { void stepDown(engine, name, channel, cacheBytes); };
  const appendHere = async (json: string) => {
    const result = await engine.appendJson(json);
    if (result.appended > 0) leader?.appended(result.lastPosition);
    return result;
  };
  leader = new TabLeader(channel, async (method, args, onProgress) => {
    await engine.reserve();
    return runStoreCall(engine, method, args, onProgress, appendHere);
  }, tabPort);
}

/**
 * A failed flush: nothing later can be trusted to be durable here, so this worker lets the
 * others go on. Its access handles close first (the next holder needs them, and no write of
 * this store can follow), then it stops serving and lets the lock go; it waits in line again.
 */
async function stepDown(engine: OPFSEngineStore, name: string, channel: string, cacheBytes: number | undefined): Promise<void> {
  if (store !== engine || closing) return;
  const [held, release] = [leader, unlock];
  [store, leader, unlock] = [undefined, undefined, undefined];
  engine.onPoisoned = undefined;
  engine.releaseFiles();
  await held?.close();
  release?.();
  await engine.close().catch(() => undefined);  // frees its core store; nothing is flushed
  if (!closing) queueForLock(name, channel, cacheBytes);
}

function queueForLock(name: string, channel: string, cacheBytes: number | undefined): void {
  queued = new AbortController();
  requestLock(channelName(channel), { signal: queued.signal }).then(
    async (release) => {
      if (closing) return release?.();
      try {
        await lead(name, channel, cacheBytes, release as () => void);
      } catch (error) {
        // The tab's calls fail with the reason; this worker tries again later.
        scope.postMessage({ type: 'lost', error: toTabError(error) });
        setTimeout(() => { if (!closing) queueForLock(name, channel, cacheBytes); }, RETRY_OPEN_MS);
      }
    },
    () => {},  // aborted: the store closed
  );
}

/** Answers the calls being run, closes the store (its files flushed, its handles closed), then lets go of the lock. */
async function close(): Promise<void> {
  closing = true;
  queued?.abort();
  await leader?.close();
  await store?.close();
  unlock?.();
  unlock = undefined;
}
