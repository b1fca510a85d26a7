// Browser-only typings (checked with bundler resolution, which picks the package's browser entry).
import { IndexedDBEventStore, createService } from 'atomservices';

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
// @ts-expect-error files are for Node
import { FileEventStore } from 'atomservices';
void FileEventStore;
