// Page side of bench/browser.mjs: each export runs one case in this page and returns its
// figures; the Node driver interleaves them and takes medians.
import { createService, EventBuilder, IndexedDBEventStore, NativeReducer, OPFSEventStore } from 'atomservices';
import { callCore } from '/dist/esm/core/core.js'; // the same module instance the package uses: only to read the WASM memory size
import Dexie from 'dexie';

const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
// Random, incompressible notes made at page load, so the timed cases measure stores, not getRandomValues.
const notes = Array.from({ length: 4096 }, () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(110)))));
let next = 0;
const event = (AggregateID, _version) => build({ _version, _createdBy: 'bench', AggregateID, payloads: { amount: 5, note: notes[next++ & 4095] } });

export const eventBytes = () => JSON.stringify(event('size-probe', 1)).length;
export const wasmBytes = () => callCore((core) => core.HEAPU8.buffer.byteLength);

// ---------- plain IndexedDB, as a user writes it ----------

const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const done = (tx) => new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = tx.onabort = () => reject(tx.error); });
// The hand-written stores ask for relaxed durability (Chromium's default) so that they are
// as fast as IndexedDB allows; IndexedDBEventStore asks for strict (an fsync per commit).
const WRITE = { durability: 'relaxed' };

/** One object store "events"; `options` are its keyPath / autoIncrement. */
function openDB(name, options) {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => r.result.createObjectStore('events', options);
  return request(r);
}
// Databases are not deleted between rounds: each round uses new names, and the profile is
// removed at the end.

// One record per event, keyed by stream and version: add() refuses a version taken twice.
const PER_EVENT = { keyPath: ['AggregateType', 'AggregateID', '_version'] };

/** Collects appends and writes them `size` at a time with `write(events)`; a partial group goes after the current task. */
function grouped(size, write) {
  let pending = [];
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const group = pending;
    pending = [];
    write(group.map((p) => p.event)).then(() => group.forEach((p) => p.resolve()), (error) => group.forEach((p) => p.reject(error)));
  };
  return (event) => new Promise((resolve, reject) => {
    pending.push({ event, resolve, reject });
    if (pending.length >= size) flush();
    else timer ??= setTimeout(flush, 0);
  });
}

// ---------- durable dispatch, `writers` concurrent dispatchers ----------

/** Each dispatcher appends `each` events to its own aggregate, awaiting each one; resolves to { events, ms }. */
async function drive(writers, each, append, latencies) {
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    const id = crypto.randomUUID();
    for (let v = 1; v <= each; v++) {
      const e = event(id, v);
      const sent = performance.now();
      await append(e);
      latencies?.push(performance.now() - sent);
    }
  }));
  return { events: writers * each, ms: performance.now() - started };
}

const STORES = { IndexedDBEventStore, OPFSEventStore };
const openStore = (kind, name, options = {}) => new STORES[kind]({ name, ...options });

export async function atomservices(name, writers, each, _size, durability = 'strict', kind = 'IndexedDBEventStore') {
  const store = openStore(kind, name, kind === 'IndexedDBEventStore' ? { durability } : {});
  const service = createService({ EventStore: store });
  await service.getVersion('Account', 'warm-up'); // opens the store before timing, as the other cases open their database
  const latencies = [];
  const result = await drive(writers, each, (e) => service.dispatch(e), latencies);
  const { flushes, memoryBytes } = await store.stats();
  await service.close();
  return { ...result, latencies, flushes, wasmBytes: kind === 'IndexedDBEventStore' ? wasmBytes() : memoryBytes };
}

// ---------- one dispatcher in a tab that holds the store, and in one that does not ----------

/** Opens store `name` in this tab and keeps it open (the first tab to open it holds it). */
export async function hold(kind, name) {
  window.held = openStore(kind, name);
  await window.held.getLastPosition();
}

/** `count` dispatches one after another from this tab; resolves to each one's latency in ms. */
export async function oneDispatcher(kind, name, count) {
  const service = createService({ EventStore: window.held ?? openStore(kind, name) });
  const id = crypto.randomUUID();
  await service.getVersion('Account', id);
  const latencies = [];
  for (let v = 1; v <= count; v++) {
    const sent = performance.now();
    await service.dispatch(event(id, v));
    latencies.push(performance.now() - sent);
  }
  if (!window.held) await service.close();
  return latencies;
}

export async function release() {
  await window.held?.close();
  window.held = undefined;
}

export async function txPerEvent(name, writers, each) {
  const db = await openDB(name, PER_EVENT);
  const result = await drive(writers, each, (e) => {
    const tx = db.transaction('events', 'readwrite', WRITE);
    tx.objectStore('events').add(e);
    return done(tx);
  });
  db.close();
  return result;
}

export async function txPerGroup(name, writers, each, size) {
  const db = await openDB(name, PER_EVENT);
  const result = await drive(writers, each, grouped(size, (events) => {
    const tx = db.transaction('events', 'readwrite', WRITE);
    const store = tx.objectStore('events');
    for (const e of events) store.add(e);
    return done(tx);
  }));
  db.close();
  return result;
}

export async function dexieBulkAdd(name, writers, each, size) {
  const db = new Dexie(name, { chromeTransactionDurability: 'relaxed' });
  db.version(1).stores({ events: '[AggregateType+AggregateID+_version]' });
  await db.open();
  const result = await drive(writers, each, grouped(size, (events) => db.events.bulkAdd(events)));
  db.close();
  return result;
}

/** The ceiling: a group of events stored as one value (one structured clone, one record). */
export async function valuePerGroup(name, writers, each, size) {
  const db = await openDB(name, { autoIncrement: true });
  const result = await drive(writers, each, grouped(size, (events) => {
    const tx = db.transaction('events', 'readwrite', WRITE);
    tx.objectStore('events').add(events);
    return done(tx);
  }));
  db.close();
  return result;
}

// ---------- cold open + rehydrate of one 100k-event aggregate ----------

const COLD = { store: 'cold', opfs: 'cold', records: 'cold-records', chunks: 'cold-chunks', id: 'cold-account', chunk: 1000 };
const reducer = (balance, e) => balance + e.payloads.amount;
const native = new NativeReducer({ initialState: { balance: 0 }, on: { Deposited: [{ op: 'add', path: 'balance', from: 'payloads.amount' }] } });

/** Writes the same `count` events four ways: IndexedDBEventStore, OPFSEventStore, one record per event, one value per 1,000. */
export async function seedCold(count) {
  const service = createService({ EventStore: new IndexedDBEventStore({ name: COLD.store }) });
  const opfs = createService({ EventStore: new OPFSEventStore({ name: COLD.opfs }) });
  const records = await openDB(COLD.records, PER_EVENT);
  const chunks = await openDB(COLD.chunks, { keyPath: ['AggregateType', 'AggregateID', 'first'] });
  for (let first = 1; first <= count; first += COLD.chunk) {
    const events = Array.from({ length: Math.min(COLD.chunk, count - first + 1) }, (_, i) => event(COLD.id, first + i));
    await service.dispatch(events);
    await opfs.dispatch(events);
    let tx = records.transaction('events', 'readwrite', WRITE);
    for (const e of events) tx.objectStore('events').add(e);
    await done(tx);
    tx = chunks.transaction('events', 'readwrite', WRITE);
    tx.objectStore('events').add({ AggregateType: 'Account', AggregateID: COLD.id, first, events });
    await done(tx);
  }
  await service.close();
  await opfs.close();
  records.close();
  chunks.close();
}

/** Times `body` (open + read + fold), then closes what it opened outside the timing. */
const timed = async (body) => {
  const started = performance.now();
  const { close, ...result } = await body(started);
  const ms = performance.now() - started;
  await close();
  return { ms, ...result };
};

/** Opens the store by name in this fresh page and folds the aggregate (JS or native reducer). */
export const coldAtomservices = (useNative, kind = 'IndexedDBEventStore') => timed(async (started) => {
  const store = openStore(kind, kind === 'IndexedDBEventStore' ? COLD.store : COLD.opfs);
  const service = createService({ EventStore: store });
  await service.getVersion('Account', COLD.id); // the store opens here: its share is reported apart
  const openMs = performance.now() - started;
  const { state, version } = useNative
    ? await service.rehydrate('Account', COLD.id, native, { snapshots: false })
    : await service.rehydrate('Account', COLD.id, reducer, 0);
  const memory = {};
  const close = async () => {  // after the timing: the memory of the core that folded (this page's, or the OPFS worker's)
    memory.wasmBytes = kind === 'IndexedDBEventStore' ? wasmBytes() : (await store.stats()).memoryBytes;
    await service.close();
  };
  return { balance: useNative ? state.balance : state, version, openMs, memory, close };
}).then(({ memory, ...result }) => ({ ...result, ...memory }));

const stream = () => IDBKeyRange.bound(['Account', COLD.id, 0], ['Account', COLD.id, Infinity]);

export const coldRecords = () => timed(async () => {
  const db = await openDB(COLD.records, PER_EVENT);
  const events = await request(db.transaction('events').objectStore('events').getAll(stream()));
  return { balance: events.reduce(reducer, 0), version: events.at(-1)._version, close: () => db.close() };
});

export const coldChunks = () => timed(async () => {
  const db = await openDB(COLD.chunks, { keyPath: ['AggregateType', 'AggregateID', 'first'] });
  const chunks = await request(db.transaction('events').objectStore('events').getAll(stream()));
  const balance = chunks.reduce((sum, chunk) => chunk.events.reduce(reducer, sum), 0);
  return { balance, version: chunks.at(-1).events.at(-1)._version, close: () => db.close() };
});
