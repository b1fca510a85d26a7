// The seed's quick start in plain JS with import, in a blank app that installed the tarball.
import { EventBuilder, createService, InstantEventBus, MemoryEventStore } from 'atomservices';

const buildUserCreated = EventBuilder({ EventName: 'UserCreated', AggregateType: 'User' });
const seen = [];
const service = createService({
  EventStore: new MemoryEventStore(),
  EventBus: new InstantEventBus(),
  EventHandlers: [{ EventName: 'UserCreated', handle: (event) => { seen.push(event.payloads.email); } }],
});
const myEvent = buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'a@example.com' } });
await new Promise((resolve, reject) => {
  service.dispatch(myEvent, (err) => { if (err) reject(err); else resolve(); });
});
await service.dispatch(buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'b@example.com' } }));
await new Promise((resolve) => setTimeout(resolve, 10));
if (seen.join() !== 'a@example.com,b@example.com') throw new Error(`handlers saw ${seen}`);
await service.close();
// `import *` shows the package's names and nothing of the CommonJS build beneath it.
const { createRequire } = await import('node:module');
const names = Object.keys(await import('atomservices')).sort().join();
const required = Object.keys(createRequire(import.meta.url)('atomservices')).filter((name) => name !== '__esModule').sort().join();
if (names !== required) throw new Error(`import gives ${names}, require gives ${required}`);
console.log('quickstart (import): ok');
