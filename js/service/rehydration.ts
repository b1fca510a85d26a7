// Rehydration: folding an aggregate's events into its state with a JS or a native reducer,
// in pages (one crossing per page, not per event), from the newest usable snapshot.
import { callCore, callCoreJson, readsStreamText, writeInput, type StreamTextReader } from '../core/core.js';
import { difference } from '../core/deep-equal.js';
import { encode, encodeEvents, encodeRequest } from '../core/encode.js';
import { AtomServicesError, invalidArgument, kindOf } from '../core/errors.js';
import { NativeReducer } from '../core/native-reducer.js';
import { checkOptionKeys } from '../core/options.js';
import type { IEvent, IEventStore, IReducer, Rehydrated, RehydrateOptions } from '../types.js';


export interface RehydrationHost {
  store: IEventStore;
  upcast(event: IEvent): IEvent;
  /** Changes whenever the upcasters change: part of every snapshot key. */
  upcasterFingerprint: string;
  /** Runs a call of the store, reporting its failure as the store's (the reducer's and upcasters' errors pass as they are). */
  callStore<T>(call: () => Promise<T>): Promise<T>;
}

const PAGE = 1000;
const OPTION_KEYS = ['toVersion', 'at', 'onProgress', 'snapshots'];

export function checkRehydrateOptions(options: unknown, AggregateType: unknown, AggregateID: unknown, native: boolean): asserts options is RehydrateOptions {
  checkOptionKeys(options, 'options', OPTION_KEYS, 'a rehydration option');
  const { toVersion, at, onProgress, snapshots } = options as RehydrateOptions;
  // JSON would turn a Date (or anything with toJSON) into a string the core then accepts.
  if (at !== undefined && typeof at !== 'string') {
    throw invalidArgument('options.at', `must be an ISO 8601 time as a string (e.g. date.toISOString()), got ${kindOf(at)}`);
  }
  // The core checks the aggregate, toVersion and at, as it does for its own folds.
  callCore((core) => core.checkRehydrateQuery(encodeRequest({ AggregateType, AggregateID, options: { toVersion, at } })));
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArgument('options.onProgress', 'must be a function ({ done, total }) => void');
  if (snapshots === undefined || snapshots === false) return;
  if (native) throw invalidArgument('options.snapshots', 'can only be false for a native reducer (its definition sets snapshotEvery)');
  const { every, version } = snapshots as { every?: unknown; version?: unknown };
  if (!Number.isSafeInteger(every) || (every as number) < 1 || typeof version !== 'string' || version === '') {
    throw invalidArgument('options.snapshots', 'must be { every: a positive integer, version: a non-empty string naming the reducer\'s version }');
  }
}

// The rules (snapshot keys, the time cut, where snapshots go) are the core's (src/fold.cpp);
// this side reads the pages, upcasts them and runs JS reducers.
function snapshotPlan(reducer: NativeReducer<unknown> | IReducer<unknown>, options: RehydrateOptions, fingerprint: string) {
  if (options.snapshots === false) return undefined;
  const key = (reducerKey: string) => callCore((core) => core.snapshotKey(reducerKey, fingerprint));
  if (reducer instanceof NativeReducer) {
    return reducer.snapshotEvery ? { key: key(reducer.identity), every: reducer.snapshotEvery } : undefined;
  }
  return options.snapshots ? { key: key(`js:${options.snapshots.version}`), every: options.snapshots.every } : undefined;
}

/** The events of one page that a time cut keeps; `ended` when a later event was cut. */
function withinTime(events: IEvent[], at: string | undefined): { events: IEvent[]; ended: boolean } {
  if (at === undefined || events.length === 0) return { events, ended: false };
  const json = encodeEvents(events);
  const kept = callCore((core) => core.eventsWithin(writeInput(core, json), at));
  return kept === events.length ? { events, ended: false } : { events: events.slice(0, kept), ended: true };
}

/** Where a state would come back different from a snapshot (stored as JSON), if anywhere. */
function snapshotChange(state: unknown): string | undefined {
  let json: string;
  try {
    json = encode(state, 'state', 'INVALID_ARGUMENT');
  } catch (error) {
    return (error as Error).message;
  }
  return difference(JSON.parse(json), state, 'state');
}

/** A JS reducer's states must survive JSON unchanged, or snapshots would change results. */
function checkSnapshotState(state: unknown, version: number): void {
  const change = snapshotChange(state);
  if (change === undefined) return;
  throw new AtomServicesError('INVALID_ARGUMENT', `options.snapshots needs states that JSON gives back unchanged (snapshots are stored as JSON), ` +
    `but the state at version ${version} would change: ${change}; keep the state plain JSON data, or rehydrate without snapshots`,
  { field: 'options.snapshots' });
}

interface FoldedPage<S> extends Rehydrated<S> {
  /** [version, state] of each snapshot due within the page. */
  snapshots: [number, S][];
  ended: boolean;
}

/** Folds a page with a native reducer: events from JS (validated on the way in), or `stored` as the core wrote them. */
function foldNative<S>(reducer: NativeReducer<S>, from: Rehydrated<S>, eventsJson: string, stored: boolean,
  at: string | undefined, snapshots: boolean): FoldedPage<S> {
  const start = JSON.stringify(from.state);
  const fold = stored ? 'foldStored' : 'foldEvents';
  return callCoreJson((core) => core[fold](reducer.definition, start, from.version, at ?? '', snapshots, writeInput(core, eventsJson)));
}

/** A store that gives pages as JSON text, when the fold can take them as they are: native, no upcasters. */
function textReader(host: RehydrationHost, reducer: unknown): StreamTextReader | undefined {
  const store = host.store as Partial<StreamTextReader>;
  const direct = reducer instanceof NativeReducer && host.upcasterFingerprint === '';
  return direct && typeof store[readsStreamText] === 'function' ? store as StreamTextReader : undefined;
}

/** Folds an aggregate by reading its events page by page (any store, upcasters applied). */
export async function rehydrateInPages<S>(host: RehydrationHost, AggregateType: string, AggregateID: string,
  reducer: NativeReducer<S> | IReducer<S>, initialState: S, options: RehydrateOptions): Promise<Rehydrated<S>> {
  const { store, callStore } = host;
  const current = await callStore(() => store.getVersion(AggregateType, AggregateID));
  const target = Math.min(options.toVersion ?? current, current);
  const plan = snapshotPlan(reducer as NativeReducer<unknown>, options, host.upcasterFingerprint);
  const checked = plan !== undefined && !(reducer instanceof NativeReducer);  // native states are JSON already
  const save = async (state: S, version: number) => {
    if (checked) checkSnapshotState(state, version);
    await callStore(async () => store.putSnapshot?.(plan!.key, AggregateType, AggregateID, version, state));
  };
  let state = initialState;
  let version = 0;
  // A snapshot holds no creation times, so time travel by `at` folds from the start.
  if (plan && options.at === undefined && store.getSnapshot && target > 0) {
    const snapshot = await callStore(() => store.getSnapshot!(plan.key, AggregateType, AggregateID, target));
    if (snapshot) ({ state, version } = snapshot as Rehydrated<S>);
  }
  const reader = textReader(host, reducer);
  const read = (fromVersion: number): Promise<string | IEvent[]> => {
    const request = { fromVersion, toVersion: target, limit: PAGE };
    return callStore<string | IEvent[]>(() => (reader ? reader[readsStreamText](AggregateType, AggregateID, request) : store.readStream(AggregateType, AggregateID, request)));
  };
  // The next page is read while this one folds (versions are dense, so it starts PAGE later).
  let next: { from: number; page: Promise<string | IEvent[]> } | undefined;
  while (version < target) {
    const from = version + 1;
    const page = next?.from === from ? next.page : read(from);
    next = from + PAGE <= target ? { from: from + PAGE, page: read(from + PAGE) } : undefined;
    next?.page.catch(() => {});  // awaited on the next turn, or not needed
    let ended = false;
    const native = async (json: string, stored: boolean) => {
      const folded = foldNative(reducer as NativeReducer<S>, { state, version }, json, stored, options.at, plan !== undefined);
      ({ state, version, ended } = folded);
      // The newest one due is enough: each save is a store call (a flush for durable ones).
      const newest = folded.snapshots.at(-1);
      if (newest) await save(newest[1], newest[0]);
    };
    if (reader) {
      const text = await page as string;
      if (text === '[]') break;
      await native(text, true);
    } else {
      const events = await page as IEvent[];
      if (events.length === 0) break;
      const upcast = events.map((e) => host.upcast(e));
      if (reducer instanceof NativeReducer) {
        await native(encodeEvents(upcast), false);  // the core cuts it in time
      } else {
        const within = withinTime(upcast, options.at);
        ended = within.ended;
        for (const event of within.events) {
          state = reducer(state, event);
          version = event._version;
          if (plan && version % plan.every === 0) await save(state, version);  // the core's rule (snapshot_due)
        }
      }
    }
    options.onProgress?.({ done: version, total: target });
    if (ended) break;
  }
  // Checked on every rehydration with snapshots, so a result never depends on whether one was used.
  if (checked) checkSnapshotState(state, version);
  return { state, version };
}
