// Run by postgres.test.mjs: `dispatchers` concurrent dispatchers each append `each` events to
// aggregates shared with the other processes, taking a new version on CONCURRENCY_CONFLICT
// and sending the same event again on STORE_FAILURE (a retry is idempotent), while a named
// subscription counts every event of every process.
import { createService, EventBuilder } from 'atomservices';
import { PostgresEventStore } from 'atomservices/postgres';

const [url, schema, index, dispatchers, each, aggregates, total] = process.argv.slice(2).map((a, i) => (i < 2 ? a : Number(a)));
const service = createService({ EventStore: new PostgresEventStore({ connectionString: url, schema }) });
const build = EventBuilder({ EventName: 'Wrote', AggregateType: 'Account' });
let seen = 0;
let allSeen;
const everything = new Promise((resolve) => { allSeen = resolve; });
service.subscribe({ name: `process-${index}` }, () => { if (++seen === total) allSeen(); });

const acknowledged = [];
let conflicts = 0;
let failures = 0;
// On SIGTERM (the parent's timeout), what each dispatcher waits for and what the subscription
// saw: a hang says where it is.
const doing = [];
const errors = [];
service.onError((error) => errors.push(`${error.code}: ${error.message}`));
process.on('SIGTERM', () => {
  process.stderr.write(`seen ${seen}/${total}, acknowledged ${acknowledged.length}; dispatchers: ${doing.filter(Boolean).join(', ') || 'done'}; errors: ${errors.join('; ') || 'none'}\n`);
  process.exit(1);
});
async function dispatcher(d) {
  for (let i = 0; i < each; i++) {
    const AggregateID = `shared-${(index * 7 + d * 3 + i) % aggregates}`;
    let event;
    for (;;) {
      doing[d] = `${d}:${i} getVersion`;
      event ??= build({ _version: await service.getVersion('Account', AggregateID) + 1, _createdBy: `process-${index}`, AggregateID, payloads: { d, i } });
      try {
        doing[d] = `${d}:${i} dispatch`;
        await service.dispatch(event);
        acknowledged.push(event._id);
        break;
      } catch (error) {
        if (error.code === 'CONCURRENCY_CONFLICT') {
          conflicts++;
          event = undefined;
        } else if (error.code === 'STORE_FAILURE') {
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        } else {
          throw error;
        }
      }
    }
  }
}
await Promise.all(Array.from({ length: dispatchers }, (_, d) => dispatcher(d).then(() => { delete doing[d]; })));
await everything;
await service.close();
process.stdout.write(JSON.stringify({ index, acknowledged, seen, conflicts, failures }));
