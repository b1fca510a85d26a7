// Run by lock-race.test.mjs: on "open <directory>" it tries to open the store there and
// append 50 events, one at a time, then reports "opened" or the error's code; it keeps the
// store open until "close".
import { createInterface } from 'node:readline';
import { EventBuilder, FileEventStore } from 'atomservices';

const build = EventBuilder({ EventName: 'Claimed', AggregateType: 'Claim' });
let store;

async function open(directory) {
  store = new FileEventStore({ directory });
  try {
    for (let version = 1; version <= 50; version++) {
      await store.append([build({ _version: version, _createdBy: 'lock-race', AggregateID: `process-${process.pid}`, payloads: {} })]);
    }
    return 'opened';
  } catch (error) {
    store = undefined;
    return error.code ?? String(error);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, directory] = line.split(' ');
  if (command === 'open') console.log(await open(directory));
  if (command === 'close') {
    await store?.close();
    store = undefined;
    console.log('closed');
  }
}
