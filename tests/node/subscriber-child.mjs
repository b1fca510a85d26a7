// Run by subscriptions.test.mjs: a named subscription over a FileEventStore that prints
// each position it handles, and stops after `limit` of them (or runs until killed).
import { FileEventStore, createService } from 'atomservices';

const [directory, limit] = process.argv.slice(2);
const service = createService({ EventStore: new FileEventStore({ directory }) });
let handled = 0;
let reachedLimit;
const done = new Promise((resolve) => { reachedLimit = resolve; });
const stop = service.subscribe({ name: 'mailer', EventName: 'MoneyDeposited' }, (event, position) => {
  process.stdout.write(`${position}\n`);
  if (++handled === Number(limit)) {
    stop();
    reachedLimit();
  }
});
await done;
await service.close();  // waits for the subscription to record its checkpoint
