// The atomservices/postgres subpath (Node; checked with nodenext resolution).
import { PostgresEventStore } from 'atomservices/postgres';
import { createService } from 'atomservices';

const store = new PostgresEventStore({ connectionString: 'postgres://u:p@127.0.0.1/db', schema: 'events', createSchema: true });
createService({ EventStore: store });
void store.createSchema();
// @ts-expect-error schema must be a string
new PostgresEventStore({ connectionString: 'x', schema: 1 });
