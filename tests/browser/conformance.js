// The store conformance suite in Chromium, over IndexedDBEventStore, OPFSEventStore and MemoryEventStore.
import { IndexedDBEventStore, MemoryEventStore, OPFSEventStore } from 'atomservices';
import { storeConformance } from '../node/store-conformance.mjs';
import * as runner from './mini-test.js';

let count = 0;
const name = `conformance-${Date.now()}`;
for (const Store of [IndexedDBEventStore, OPFSEventStore]) {
  storeConformance(Store.name, () => new Store({ name: `${name}-${++count}` }), runner);
  // A store in a tab that does not hold it: every call goes to the holder and back, and must
  // answer exactly as the holder would (results, errors and their codes).
  storeConformance(`${Store.name}, not holding (calls sent to the holder)`, async () => {
    const storeName = `${name}-${++count}`;
    const holder = new Store({ name: storeName, wait: false });
    await holder.getLastPosition();
    const follower = new Store({ name: storeName });
    const close = follower.close.bind(follower);
    follower.close = async () => { await close(); await holder.close(); };
    return follower;
  }, runner);
}
storeConformance('MemoryEventStore (browser)', () => new MemoryEventStore(), runner);
runner.run().then((results) => { window.results = results; }, (error) => { window.results = [{ name: 'runner', error: String(error) }]; });
