// Node-only typings (checked with nodenext resolution, which picks the package's node entry).
import { FileEventStore, createService, type StorageStats } from 'atomservices';

const store = new FileEventStore({ directory: './data' });
createService({ EventStore: store });
async function figures(): Promise<number> {
  const stats: StorageStats = await store.stats();
  const damage = await store.corruption();
  return stats.files + (damage ? damage.offset : 0);
}
// @ts-expect-error the directory is required
new FileEventStore({});
// @ts-expect-error IndexedDB is for browsers
import { IndexedDBEventStore } from 'atomservices';
// @ts-expect-error OPFS is for browsers
import { OPFSEventStore } from 'atomservices';
void figures; void IndexedDBEventStore; void OPFSEventStore;
