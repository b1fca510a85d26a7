// Browser-only typings (checked with bundler resolution, which picks the package's browser entry).
import { IndexedDBEventStore, createService } from 'atomservices';

createService({ EventStore: new IndexedDBEventStore({ name: 'app', wait: false }) });
new IndexedDBEventStore();
// @ts-expect-error wait is a boolean
new IndexedDBEventStore({ wait: 'no' });
// @ts-expect-error files are for Node
import { FileEventStore } from 'atomservices';
void FileEventStore;
