// Run by subscriptions.test.mjs: a named subscription over a FileEventStore that prints
// each position it handles (or appends it to the file `log`, which a kill cannot lose as it
// can lose output queued for a full pipe), and stops once it has handled position `last`
// (or runs until killed). A checkpoint already at `last` means there is nothing left to do.
import { appendFileSync } from 'node:fs';
import { FileEventStore, createService } from 'atomservices';

const [directory, last, log] = process.argv.slice(2);
const store = new FileEventStore({ directory });
const service = createService({ EventStore: store });
if (((await store.getCheckpoint('mailer')) ?? 0) < Number(last)) {
  let reachedLast;
  const done = new Promise((resolve) => { reachedLast = resolve; });
  const stop = service.subscribe({ name: 'mailer', EventName: 'MoneyDeposited' }, (event, position) => {
    if (log) appendFileSync(log, `${position}\n`);
    else process.stdout.write(`${position}\n`);
    if (position >= Number(last)) {
      stop();
      reachedLast();
    }
  });
  await done;
}
await service.close();  // waits for the subscription to record its checkpoint
