// The store conformance suite in Chromium, over IndexedDBEventStore and MemoryEventStore.
import { IndexedDBEventStore, MemoryEventStore } from 'atomservices';
import { storeConformance } from '../node/store-conformance.mjs';
import * as runner from './mini-test.js';

let count = 0;
const name = `conformance-${Date.now()}`;
storeConformance('IndexedDBEventStore', () => new IndexedDBEventStore({ name: `${name}-${++count}` }), runner);
storeConformance('MemoryEventStore (browser)', () => new MemoryEventStore(), runner);
runner.run().then((results) => { window.results = results; }, (error) => { window.results = [{ name: 'runner', error: String(error) }]; });
