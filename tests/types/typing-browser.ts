// Browser-only typings (checked with bundler resolution, which picks the package's browser entry).
import { IndexedDBEventStore, OPFSEventStore, createService, type OPFSEventStoreOptions, type StorageStats } from 'atomservices';

createService({ EventStore: new IndexedDBEventStore({ name: 'app', wait: false }) });
new IndexedDBEventStore();
// Shared by every tab and worker (the default), held by this one (wait: true), or refused when held elsewhere (wait: false).
const shared = new IndexedDBEventStore({ name: 'app', wait: undefined, durability: 'relaxed' });
new IndexedDBEventStore({ name: 'app', wait: true });
const stopWatching: () => void = shared.watch(() => {});
stopWatching();
// @ts-expect-error watch takes a listener
shared.watch();
// @ts-expect-error wait is a boolean
new IndexedDBEventStore({ wait: 'no' });
// OPFS: the same sharing; no durability option (every flush is a file flush).
const opfs = new OPFSEventStore({ name: 'app', cacheBytes: 4 << 20 });
createService({ EventStore: opfs });
const options: OPFSEventStoreOptions = { wait: true };
new OPFSEventStore(options);
const unwatch: () => void = opfs.watch(() => {});
unwatch();
void opfs.stats().then((stats: StorageStats) => stats.indexFiles);
void opfs.verify({ onProgress: ({ segment, segments }) => void (segment / segments) });
// @ts-expect-error durability is IndexedDB's
new OPFSEventStore({ durability: 'relaxed' });
// @ts-expect-error the name is a string
new OPFSEventStore({ name: 7 });
// @ts-expect-error files are for Node
import { FileEventStore } from 'atomservices';
void FileEventStore;
