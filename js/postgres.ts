// The atomservices/postgres entry (Node). Loads the core through the Node entry first.
import './node.js';

export { PostgresEventStore } from './postgres-store.js';
export type { PgClient, PgPool, PostgresEventStoreOptions } from './postgres-store.js';
