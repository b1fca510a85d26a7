// Browser (and bundler) entry, an ES module: top-level await makes the core ready before
// any importing code runs, so EventBuilder is synchronous from the first line.
import createCore from '../wasm/atomservices.mjs';
import { setCore, type CoreModule } from './core/core.js';
import { IndexedDBEventStore } from './web/indexeddb-store.js';
import { setDefaultStore } from './service/service.js';

setCore((await createCore()) as CoreModule);

setDefaultStore(() => new IndexedDBEventStore({ name: 'atomservices' }));

export * from './index.js';
export { IndexedDBEventStore } from './web/indexeddb-store.js';
export type { IndexedDBEventStoreOptions } from './web/indexeddb-store.js';
export { OPFSEventStore } from './web/opfs-store.js';
export type { OPFSEventStoreOptions } from './web/opfs-store.js';
