// Browsers: a durable store on the Origin Private File System. The storage engine runs in a
// dedicated worker (opfs-worker.ts) on files opened for synchronous access, reading events
// on demand like the Node file store, so memory does not grow with the log. This object
// sends every call to whichever tab's worker holds the store, its own or another's, over the
// store's BroadcastChannel (its own worker: over a MessagePort): calls made in one turn travel
// as one message, and the holder answers a whole group of appends after one flush.
import { checkName } from '../core/core.js';
import type { DurableStoreOptions, Mounted } from '../stores/durable-store.js';
import { AtomServicesError, invalidArgument, storeClosed } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import type { WorkerReply, WorkerRequest } from './opfs-worker.js';
import { SharedEventStore, type Routed } from './shared-store.js';
import { fromTabError } from './tab-channel.js';
import { TabFollower } from './tab-follower.js';

export interface OPFSEventStoreOptions extends DurableStoreOptions {
  /** Names the store: its OPFS directory (`atomservices/<name>`), its lock and its channel. Default "atomservices". */
  name?: string;
  /**
   * Left out (the default), every tab and worker uses the store at once: the first one's
   * worker holds it, the others send it their calls, and another takes over when it goes.
   * `true`: this tab's worker holds the store, waiting until the holder closes it.
   * `false`: hold it now, or fail at once with STORE_LOCKED.
   */
  wait?: boolean;
}

/**
 * The lock and channel of an OPFS store: apart from an IndexedDB store of any name (names
 * hold no control character, so none is "opfs" and this separator followed by a name).
 */
const channelOf = (name: string) => `opfs\x1f${name}`;

/** How long close() waits for the worker to say it closed the store, before stopping it anyway. */
const CLOSE_WAIT_MS = 10_000;

function notSupported(what: string): AtomServicesError {
  return new AtomServicesError('NOT_SUPPORTED', `OPFSEventStore needs ${what}, which this context lacks; use IndexedDBEventStore`);
}

/** Keeps events in OPFS files: a resolved append was flushed to disk. */
export class OPFSEventStore extends SharedEventStore {
  readonly name: string;
  readonly #wait: boolean | undefined;
  readonly #cacheBytes: number | undefined;
  #worker: Worker | undefined;
  #starting: Promise<TabFollower> | undefined;
  #closing: Promise<void> | undefined;
  #closed: (() => void) | undefined;
  #abandonStart: (() => void) | undefined;

  constructor(options: OPFSEventStoreOptions = {}) {
    super(typeof options === 'object' && options !== null ? options : {});
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { name?, wait?, cacheBytes? }');
    checkOptionKeys(options, 'options', ['name', 'wait', 'cacheBytes'], 'an OPFSEventStore option');
    const { name = 'atomservices', wait, cacheBytes } = options;
    if (typeof name !== 'string') throw invalidArgument('options.name', 'must be a string');
    checkName('options.name', name);
    if (wait !== undefined && typeof wait !== 'boolean') throw invalidArgument('options.wait', 'must be true or false when given');
    this.name = name;
    this.#wait = wait;
    this.#cacheBytes = cacheBytes;
  }

  protected async route<T>(method: string, args: unknown[], onProgress?: (progress: unknown) => void): Promise<Routed<T>> {
    if (this.#closing) throw storeClosed('event store');
    const follower = await this.#start();
    return follower.call<T>(method, args, onProgress);
  }

  /** Waits for its calls in flight, then stops its worker (another tab's worker may take the store over). */
  override close(): Promise<void> {
    this.#closing ??= (async () => {
      // A worker still waiting for the lock (wait: true) is stopped: it stored nothing yet, and
      // its files survive being stopped mid-write like a crash. One that is starting otherwise
      // serves the calls made before close().
      if (!this.#worker && this.#wait === true) this.#abandonStart?.();
      const follower = await this.#starting?.catch(() => undefined);
      await follower?.settled();
      const worker = this.#worker;
      if (worker) {
        await new Promise<void>((resolve) => {
          this.#closed = resolve;
          worker.onerror = () => resolve();  // a broken worker answers nothing more
          setTimeout(resolve, CLOSE_WAIT_MS);  // nor does one that hangs
          worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        });
        worker.terminate();
      }
      follower?.close();
      await super.close();
    })();
    return this.#closing;
  }

  #start(): Promise<TabFollower> {
    this.#starting ??= this.#spawn().catch((error) => {
      this.#starting = undefined;  // tried again by the next call
      throw error;
    });
    return this.#starting;
  }

  async #spawn(): Promise<TabFollower> {
    if (typeof Worker !== 'function') throw notSupported('dedicated workers');
    if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') throw notSupported('the Origin Private File System');
    if (typeof BroadcastChannel !== 'function') throw notSupported('BroadcastChannel');
    const worker = new Worker(new URL('./opfs-worker.js', import.meta.url), { type: 'module', name: `atomservices OPFS store ${this.name}` });
    // This tab's calls reach its own worker, when it holds the store, over a port of their own.
    const { port1, port2 } = new MessageChannel();
    const follower = new TabFollower(channelOf(this.name), () => this.wake(), port1);
    try {
      const start: WorkerRequest = { type: 'start', name: this.name, channel: channelOf(this.name), wait: this.#wait, cacheBytes: this.#cacheBytes, port: port2 };
      await new Promise<void>((started, failed) => {
        this.#abandonStart = () => failed(storeClosed('event store'));
        worker.onerror = (event) => failed(new AtomServicesError('STORE_FAILURE',
          `the OPFS store's worker (opfs-worker.js beside this module) did not start: ${event.message || 'it could not be loaded'}`));
        worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
          if (data.type === 'ready') worker.postMessage(start, [port2]);
          else if (data.type === 'started') started();
          else if (data.type === 'failed') failed(fromTabError(data.error));
          else if (data.type === 'lost') follower.failAll(fromTabError(data.error));
          else if (data.type === 'closed') this.#closed?.();
        };
      });
    } catch (error) {
      worker.terminate();
      follower.close();
      throw error;
    } finally {
      this.#abandonStart = undefined;
    }
    worker.onerror = null;
    this.#worker = worker;
    return follower;
  }

  // The engine runs in the worker: this object never opens a core store of its own.
  protected async mount(): Promise<Mounted> {
    throw new AtomServicesError('INTERNAL', 'an OPFSEventStore opens its store in its worker');
  }

  protected async flush(): Promise<void> {}

  protected async unmount(): Promise<void> {}
}
