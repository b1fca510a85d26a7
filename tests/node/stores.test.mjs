import { MemoryEventStore } from 'atomservices';
import { storeConformance } from './store-conformance.mjs';
import { JsEventStore } from './js-event-store.mjs';

storeConformance('MemoryEventStore', () => new MemoryEventStore());
storeConformance('a hand-written JS store', () => new JsEventStore());
