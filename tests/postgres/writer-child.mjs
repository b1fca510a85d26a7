// Run by postgres.test.mjs: appends EACH events to three shared aggregates, retrying on
// version conflicts, while a named subscription counts every event of every process.
import { createService, EventBuilder } from 'atomservices';
import { PostgresEventStore } from 'atomservices/postgres';

const [url, schema, index, each, total] = process.argv.slice(2);
const service = createService({ EventStore: new PostgresEventStore({ connectionString: url, schema }) });
const build = EventBuilder({ EventName: 'Wrote', AggregateType: 'Account' });
let seen = 0;
let allSeen;
const everything = new Promise((resolve) => { allSeen = resolve; });
service.subscribe({ name: `process-${index}` }, () => { if (++seen === Number(total)) allSeen(); });

const acknowledged = [];
let conflicts = 0;
for (let i = 0; i < Number(each); i++) {
  const AggregateID = `shared-${i % 3}`;
  for (;;) {
    const version = await service.getVersion('Account', AggregateID);
    const event = build({ _version: version + 1, _createdBy: `process-${index}`, AggregateID, payloads: { i } });
    try {
      await service.dispatch(event);
      acknowledged.push(event._id);
      break;
    } catch (error) {
      if (error.code !== 'CONCURRENCY_CONFLICT') throw error;
      conflicts++;
    }
  }
}
await everything;
await service.close();
process.stdout.write(JSON.stringify({ index: Number(index), acknowledged, seen, conflicts }));
