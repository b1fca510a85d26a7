// The atomservices/postgres entry (Node). Loads the core through the Node entry first.
import './node.js';

export { PostgresEventStore } from './stores/postgres-store.js';
export type { PgClient, PgPool, PostgresEventStoreOptions } from './stores/postgres-store.js';
