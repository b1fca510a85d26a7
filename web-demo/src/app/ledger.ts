// Opens one ledger: its store (IndexedDB, or OPFS with ?store=opfs in the address), the
// service over it, and the receipt handler.
import { IndexedDBEventStore, InstantEventBus, OPFSEventStore, createService, type IService } from 'atomservices';
import { receiptPrinter, type ReceiptPrinter } from './receipts';

export interface Ledger {
  name: string;
  store: IndexedDBEventStore | OPFSEventStore;
  /** Where its events live, as the page tells the user. */
  where: 'IndexedDB' | 'OPFS';
  service: IService;
  receipts: ReceiptPrinter;
  /** Events in the store when it was opened, and how long opening took. */
  loaded: { events: number; ms: number };
}

/**
 * Opens the store named `name`, shared with every other tab that has it open: one of them
 * holds it and the others send it their commands, so every tab takes commands.
 */
export async function openLedger(name: string): Promise<Ledger> {
  const where = new URLSearchParams(location.search).get('store') === 'opfs' ? 'OPFS' : 'IndexedDB';
  const store = where === 'OPFS' ? new OPFSEventStore({ name }) : new IndexedDBEventStore({ name });
  const receipts = receiptPrinter();
  const service = createService({ EventStore: store, EventBus: new InstantEventBus(), EventHandlers: [receipts.handler] });
  const started = performance.now();
  try {
    const events = await store.getLastPosition();
    return { name, store, where, service, receipts, loaded: { events, ms: performance.now() - started } };
  } catch (error) {
    await service.close().catch(() => {});
    throw error;
  }
}
