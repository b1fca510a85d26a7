// Runs in Chromium: imports the package's ES module build like an app would, and reports
// what happened to the test through window.smokeResult.
import { EventBuilder, createService, InstantEventBus, MemoryEventStore, AtomServicesError } from 'atomservices';

async function run() {
  // Synchronous right after import: the module is ready before this code runs.
  const buildUserCreated = EventBuilder({ EventName: 'UserCreated', AggregateType: 'User' });
  const handled = [];
  const service = createService({
    EventStore: new MemoryEventStore(),
    EventBus: new InstantEventBus(),
    EventHandlers: [{ EventName: 'UserCreated', handle: (event) => { handled.push(event._id); } }],
  });
  const first = buildUserCreated({ _version: 1, _createdBy: 'admin-uuid', payloads: { email: 'a@example.com' } });
  await new Promise((resolve, reject) => service.dispatch(first, (err) => (err ? reject(err) : resolve())));
  const second = buildUserCreated({ _version: 2, _createdBy: 'admin-uuid', AggregateID: first.AggregateID, payloads: { email: 'b@example.com' } });
  await service.dispatch(second);
  const conflict = await service.dispatch({ ...second, _id: crypto.randomUUID() }).catch((e) => e);
  const invalid = await service.dispatch({ ...second, payloads: { n: NaN } }).catch((e) => e);
  const { state, version } = await service.rehydrate('User', first.AggregateID, (s, e) => ({ email: e.payloads.email, count: s.count + 1 }), { count: 0 });
  await new Promise((resolve) => setTimeout(resolve, 0));
  await service.close();
  return {
    firstId: first._id,
    handled,
    state,
    version,
    conflict: { isError: conflict instanceof AtomServicesError, code: conflict.code, actual: conflict.actualVersion },
    invalid: { code: invalid.code, message: invalid.message },
  };
}

run().then((result) => { window.smokeResult = result; }, (error) => { window.smokeResult = { error: String(error?.stack ?? error) }; });
