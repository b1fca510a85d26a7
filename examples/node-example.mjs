// The main job of `npm start`: a small bank account service that dispatches in both
// consistency modes, reacts with handlers, shows a refused conflict, and rehydrates.
// Events are stored on disk in ./.atomservices, so every run adds to the earlier ones.
import { EventBuilder, createService, InstantEventBus, FileEventStore, AtomServicesError } from 'atomservices';

const opened = EventBuilder({ EventName: 'AccountOpened', AggregateType: 'Account' });
const deposited = EventBuilder({ EventName: 'MoneyDeposited', AggregateType: 'Account' });

const store = new FileEventStore({ directory: '.atomservices' });
const service = createService({
  EventStore: store,
  EventBus: new InstantEventBus(),
  EventHandlers: [
    { EventName: 'AccountOpened', name: 'welcome-mail', handle: async (e) => {
      await new Promise((resolve) => setTimeout(resolve, 50));  // pretend to send a mail
      console.log(`  handler welcome-mail: sent to ${e.payloads.owner}`);
    } },
    { EventName: 'MoneyDeposited', name: 'ledger', handle: (e) => console.log(`  handler ledger: +${e.payloads.amount} (v${e._version})`) },
  ],
});
service.onError((error) => console.log(`  onError: ${error.code}: ${error.message}`));

const account = opened({ _version: 1, _createdBy: 'example', payloads: { owner: 'Ada' } });
const id = account.AggregateID;
console.log(`strong consistency: dispatching AccountOpened for ${id}`);
await new Promise((resolve, reject) => service.dispatch(account, (err) => (err ? reject(err) : resolve())));
console.log('  notified: stored and every handler done');

console.log('eventual consistency: dispatching three deposits');
for (const [version, amount] of [[2, 100], [3, 250], [4, 40]]) {
  await service.dispatch(deposited({ _version: version, _createdBy: 'example', AggregateID: id, payloads: { amount } }));
  console.log(`  dispatch resolved: v${version} stored (handlers run in the background)`);
}

try {
  await service.dispatch(deposited({ _version: 3, _createdBy: 'a stale writer', AggregateID: id, payloads: { amount: 1 } }));
} catch (error) {
  if (!(error instanceof AtomServicesError)) throw error;
  console.log(`a stale write is refused: ${error.code} (expected ${error.expectedVersion}, actual ${error.actualVersion})`);
}

const reducer = (state, event) => event.EventName === 'AccountOpened'
  ? { ...state, owner: event.payloads.owner }
  : { ...state, balance: state.balance + event.payloads.amount };
const { state, version } = await service.rehydrate('Account', id, reducer, { owner: '', balance: 0 });
console.log(`rehydrated at version ${version}:`, state);
const { events, files } = await store.stats();
console.log(`the store in ./.atomservices holds ${events} events in ${files} file(s); run again to add more`);
await service.close();
