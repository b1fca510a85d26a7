// Run by crash.test.mjs: dispatches to a FileEventStore with several concurrent writers
// until it is killed, printing "<_id> <AggregateID> <_version>" for each acknowledged event.
import { FileEventStore, createService, EventBuilder } from 'atomservices';

const [directory, writerCount] = process.argv.slice(2);
const service = createService({ EventStore: new FileEventStore({ directory }) });
const build = EventBuilder({ EventName: 'Ticked', AggregateType: 'Counter' });

const payloadFor = (version) => ({ n: version, pad: 'x'.repeat(50 + (version % 300)) });

async function writer(index) {
  const AggregateID = `counter-${index}`;
  let version = await service.getVersion('Counter', AggregateID);
  const batchSize = index === 0 ? 3 : 1;  // one writer appends batches of several events
  for (;;) {
    const events = [];
    for (let i = 0; i < batchSize; i++) {
      version++;
      events.push(build({ _version: version, _createdBy: 'crash-test', AggregateID, payloads: payloadFor(version) }));
    }
    await service.dispatch(events);
    process.stdout.write(events.map((e) => `${e._id} ${AggregateID} ${e._version}\n`).join(''));
  }
}

for (let i = 0; i < Number(writerCount); i++) {
  writer(i).catch((error) => { console.error(error); process.exit(1); });
}
