// What the browser stores shared by tabs and workers have in common: each public call is
// routed (to this context's own core store, or to the context that holds the store), and
// the holder runs the calls it is sent through the same code as its own.
import { checkVerifyOptions, DurableEventStore, type StorageStats, type StoreCorruption, type VerifyOptions, type VerifyReport } from '../stores/durable-store.js';
import { appendsEncoded } from '../core/core.js';
import { encode, encodeEvents } from '../core/encode.js';
import { AtomServicesError, invalidArgument } from '../core/errors.js';
import type { NativeReducer } from '../core/native-reducer.js';
import { NativeEventStore, type CoreRehydrateOptions } from '../stores/native-store.js';
import type { AppendResult, IEvent, PositionedEvent, Rehydrated, Snapshot } from '../types.js';

export type Routed<T> = { value: T; retried: boolean };

/** NativeEventStore's protected reads that answer the core's JSON text, and its durable end. */
interface TextReads {
  readStreamText(...args: Parameters<NativeEventStore['readStream']>): Promise<string>;
  readAllText(...args: Parameters<NativeEventStore['readAll']>): Promise<string>;
  durableLastPosition(): Promise<number>;
}

/**
 * readAll as the holder shows it: only events that are durable. Tabs' subscriptions read
 * through the holder; one that handled an event a crash of the holder then took back
 * would skip the acknowledged event stored at that position after the handover.
 */
async function readAllDurable(store: DurableEventStore, texts: TextReads, options: never): Promise<string> {
  const through = await texts.durableLastPosition.call(store);
  const text = await texts.readAllText.call(store, options);
  if (text === '[]') return text;
  const page = JSON.parse(text) as PositionedEvent[];
  if (page[page.length - 1]!.position <= through) return text;
  return JSON.stringify(page.filter((entry) => entry.position <= through));  // appended while it waited
}

/** Runs a call that another context sent (or this one made) in `store`'s own core store. */
export function runStoreCall(store: DurableEventStore, method: string, args: unknown[], onProgress: (progress: unknown) => void,
  append: (json: string) => Promise<AppendResult>): Promise<unknown> {
  const a = args as [never, never, never, never, never];  // what the calling method put there
  const native = NativeEventStore.prototype;
  const durable = DurableEventStore.prototype;
  const texts = NativeEventStore.prototype as unknown as TextReads;
  const afterDurable = (read: () => Promise<unknown>) => texts.durableLastPosition.call(store).then(read);
  switch (method) {
    case 'append': return append(a[0]);
    // Events cross as the core's JSON text, parsed by the caller.
    // Reads wait for what was appended before them to be durable (readAll and the end show only that).
    case 'readStream': return afterDurable(() => texts.readStreamText.call(store, a[0], a[1], a[2]));
    case 'readAll': return readAllDurable(store, texts, a[0]);
    case 'getVersion': return afterDurable(() => native.getVersion.call(store, a[0], a[1]));
    case 'getEvent': return afterDurable(() => native.getEvent.call(store, a[0]));
    case 'getLastPosition': return texts.durableLastPosition.call(store);
    case 'getSnapshot': return native.getSnapshot.call(store, a[0], a[1], a[2], a[3]);
    case 'putSnapshot': return native.putSnapshot.call(store, a[0], a[1], a[2], a[3], a[4]);
    case 'getCheckpoint': return native.getCheckpoint.call(store, a[0]);
    case 'putCheckpoint': return native.putCheckpoint.call(store, a[0], a[1]);
    case 'stats': return durable.stats.call(store);
    case 'corruption': return durable.corruption.call(store);
    // The core reads a reducer's definition only: it crosses as its text.
    case 'rehydrateNative':
      return native.rehydrateNative.call(store, { definition: a[0] } as unknown as NativeReducer<unknown>, a[1], a[2], a[3]);
    case 'verify': return durable.verify.call(store, a[0] ? { onProgress } : {});
    default: return Promise.reject(new AtomServicesError('INVALID_ARGUMENT', `${method} is not a store call`));
  }
}

export abstract class SharedEventStore extends DurableEventStore {
  readonly #watchers = new Set<() => void>();

  /** Runs a store call where the store is held; says whether it was sent again after a handover. */
  protected abstract route<T>(method: string, args: unknown[], onProgress?: (progress: unknown) => void): Promise<Routed<T>>;

  override async append(events: readonly IEvent[]): Promise<AppendResult> {
    if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
    return this[appendsEncoded](encodeEvents(events), events.length);  // encoded here, so what cannot be stored fails as in the holder
  }

  override async [appendsEncoded](json: string, count: number): Promise<AppendResult> {
    const { value, retried } = await this.route<AppendResult>('append', [json]);
    // Sent again after a handover, it finds its events stored by the holder that went away:
    // they are still this append's own, and its handlers must run.
    return retried && value.appended === 0 ? { ...value, appended: count } : value;
  }

  // Each answer comes from the tab that holds the store; the base class asks again for the rest.
  protected override readStreamText(...args: Parameters<NativeEventStore['readStream']>): Promise<string> {
    return this.#value<string>('readStream', args);
  }

  protected override readAllText(...args: Parameters<NativeEventStore['readAll']>): Promise<string> {
    return this.#value<string>('readAll', args);
  }
  override getVersion(...args: Parameters<NativeEventStore['getVersion']>): Promise<number> { return this.#value('getVersion', args); }
  override getEvent(...args: Parameters<NativeEventStore['getEvent']>): Promise<IEvent | undefined> { return this.#value('getEvent', args); }
  override getLastPosition(): Promise<number> { return this.#value('getLastPosition', []); }
  override getSnapshot(...args: Parameters<NativeEventStore['getSnapshot']>): Promise<Snapshot | undefined> { return this.#value('getSnapshot', args); }
  override async putSnapshot(...args: Parameters<NativeEventStore['putSnapshot']>): Promise<void> {
    // Checked in this tab, as every tab's own store would: a copy to another tab loses what JSON would not keep.
    const [key, AggregateType, AggregateID, version, state] = args;
    const plain: unknown = JSON.parse(encode(state, 'state', 'INVALID_ARGUMENT'));
    return this.#value('putSnapshot', [key, AggregateType, AggregateID, version, plain]);
  }
  override getCheckpoint(...args: Parameters<NativeEventStore['getCheckpoint']>): Promise<number | undefined> { return this.#value('getCheckpoint', args); }
  override putCheckpoint(...args: Parameters<NativeEventStore['putCheckpoint']>): Promise<void> { return this.#value('putCheckpoint', args); }
  override stats(): Promise<StorageStats> { return this.#value('stats', []); }
  override corruption(): Promise<StoreCorruption | undefined> { return this.#value('corruption', []); }

  override rehydrateNative<S>(reducer: NativeReducer<S>, AggregateType: string, AggregateID: string,
    options?: CoreRehydrateOptions): Promise<Rehydrated<S>> {
    return this.#value('rehydrateNative', [reducer.definition, AggregateType, AggregateID, options]);
  }

  override async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    checkVerifyOptions(options);  // here: the holder is sent only whether to report progress
    const { onProgress } = options;
    const forward = onProgress && ((progress: unknown) => onProgress(progress as Parameters<typeof onProgress>[0]));
    return (await this.route<VerifyReport>('verify', [onProgress !== undefined], forward)).value;
  }

  /** Calls `listener` when another tab or worker may have appended events. */
  watch(listener: () => void): () => void {
    const entry = () => listener();  // one entry per call
    this.#watchers.add(entry);
    return () => { this.#watchers.delete(entry); };
  }

  protected wake(): void {
    for (const watcher of this.#watchers) watcher();
  }

  async #value<T>(method: string, args: unknown[]): Promise<T> {
    return (await this.route<T>(method, args)).value;
  }
}
