// The seed README's samples, verbatim, in the order a program needs them, plus the few
// definitions they assume (myEventStore, myHandler, myEvent). Compiled with tsc --strict
// against the installed package, then run.
import { IEvent, EventBuilder } from 'atomservices';
interface UserCreated extends IEvent<{ email: string }> {}
const buildUserCreated = EventBuilder<UserCreated>({
EventName: "UserCreated",
AggregateType: "User"
});

// --- what the samples assume ---
import { MemoryEventStore, IEventHandler } from 'atomservices';
const myEventStore = new MemoryEventStore();
const handled: string[] = [];
const myHandler: IEventHandler<UserCreated> = {
  EventName: 'UserCreated',
  handle: async (event) => { handled.push(event.payloads.email); },
};
// --------------------------------

import { createService, InstantEventBus } from 'atomservices';
const service = createService({
EventStore: myEventStore, // Implements IEventStore
EventBus: new InstantEventBus(), // Local memory implementation
EventHandlers: [myHandler] // List of IEventHandler
});

await service.dispatch(buildUserCreated({
_version: 1,
_createdBy: "admin-uuid",
payloads: { email: "[email protected]" }
}));

const myEvent = buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'b@example.com' } });

// Achieving Strong Consistency
await new Promise<void>((resolve, reject) => {
service.dispatch(myEvent, (err) => {
if (err) reject(err); // Fails if Store OR Handlers fail
else resolve(); // Success: Stored AND Handled
});
});

const myEvent2 = buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'c@example.com' } });
{
const myEvent = myEvent2;
// Achieving Eventual Consistency
await service.dispatch(myEvent);
// Resolves as soon as the Store appends the event.
}

await new Promise((resolve) => setTimeout(resolve, 10));
if (handled.length !== 3) throw new Error(`expected 3 handled events, got ${handled.length}`);
await service.close();
console.log('seed samples: ok', handled.join(' '));
