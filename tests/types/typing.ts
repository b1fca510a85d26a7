// What must and must not compile. Each @ts-expect-error fails the build if its line compiles.
import {
  AtomServicesError, createService, EventBuilder, InstantEventBus, MemoryEventStore, NativeReducer,
  type ErrorCode, type IEvent, type IEventBus, type IEventHandler, type IEventStore, type IReducer, type IService,
} from 'atomservices';

interface Deposited extends IEvent<{ amount: number; currency: 'EUR' | 'USD' }, { traceId: string }> {}
const buildDeposited = EventBuilder<Deposited>({ EventName: 'Deposited', AggregateType: 'Account' });

const ok: Deposited = buildDeposited({ _version: 1, _createdBy: 'u', payloads: { amount: 5, currency: 'EUR' } });
buildDeposited({ _version: 2, _createdBy: 'u', AggregateID: ok.AggregateID, payloads: { amount: 1, currency: 'USD' }, metadata: { traceId: 't' } });

// @ts-expect-error payloads of the wrong shape
buildDeposited({ _version: 1, _createdBy: 'u', payloads: { amount: '5', currency: 'EUR' } });
// @ts-expect-error a payload field missing
buildDeposited({ _version: 1, _createdBy: 'u', payloads: { amount: 5 } });
// @ts-expect-error an unknown payload field
buildDeposited({ _version: 1, _createdBy: 'u', payloads: { amount: 5, currency: 'EUR', extra: true } });
// @ts-expect-error _version missing
buildDeposited({ _createdBy: 'u', payloads: { amount: 5, currency: 'EUR' } });
// @ts-expect-error _version must be a number
buildDeposited({ _version: '1', _createdBy: 'u', payloads: { amount: 5, currency: 'EUR' } });
// @ts-expect-error metadata of the wrong shape
buildDeposited({ _version: 1, _createdBy: 'u', payloads: { amount: 5, currency: 'EUR' }, metadata: { traceId: 1 } });
// @ts-expect-error EventName must be a string
EventBuilder({ EventName: 1, AggregateType: 'A' });
// @ts-expect-error AggregateType is required
EventBuilder({ EventName: 'A' });

// A handler typed for one event fits in EventHandlers without a cast.
const onDeposit: IEventHandler<Deposited> = { EventName: 'Deposited', handle: (e) => { e.payloads.amount.toFixed(); } };
const everything: IEventHandler = { EventName: '*', name: 'audit', handle: async () => {} };
const service: IService = createService({ EventStore: new MemoryEventStore(), EventBus: new InstantEventBus(), EventHandlers: [onDeposit, everything] });
createService();

// @ts-expect-error a store must implement IEventStore
createService({ EventStore: {} });
// @ts-expect-error a bus must implement IEventBus
createService({ EventBus: { publish: async () => {} } });
// @ts-expect-error a handler needs handle()
createService({ EventHandlers: [{ EventName: 'A' }] });
// @ts-expect-error notified must be a function
void service.dispatch(ok, 42);
// @ts-expect-error only events can be dispatched
void service.dispatch({ EventName: 'x' });

service.dispatch([ok], (err) => {
  if (err) {
    const code: ErrorCode = err.code;
    // @ts-expect-error codes are a closed set
    const wrong: 'NOT_A_CODE' = err.code;
    void code; void wrong;
  }
});

// Reducers and rehydration keep their types.
const reducer: IReducer<{ balance: number }, Deposited> = (state, event) => ({ balance: state.balance + event.payloads.amount });
async function rehydrated(): Promise<number> {
  const { state, version } = await service.rehydrate('Account', ok.AggregateID, reducer, { balance: 0 });
  // @ts-expect-error state is { balance: number }
  state.owner;
  return state.balance + version;
}

// Custom stores and buses implement the interfaces.
const customBus: IEventBus = { subscribe: () => () => {}, publish: async () => {} };
const storeType: IEventStore = new MemoryEventStore();
const error = new AtomServicesError('CONCURRENCY_CONFLICT', 'x', { expectedVersion: 1, actualVersion: 2 });
// @ts-expect-error unknown codes do not compile
new AtomServicesError('OOPS', 'x');
const unsubscribe: () => void = service.onError((e) => { e.code; });
void customBus; void storeType; void error; void unsubscribe; void rehydrated;

// A projection's failure is typed: `error` is an AtomServicesError or undefined.
const projection = service.project<{ balance: number }, Deposited>({ reducer, initialState: { balance: 0 } });
const failure: AtomServicesError | undefined = projection.error;
if (failure) { const failedCode: ErrorCode = failure.code; void failedCode; }
// @ts-expect-error error is read-only
projection.error = undefined;
const readyOrFailed: Promise<void> = projection.ready();
void readyOrFailed;

// A native reducer's state is an object (its operations address fields by path).
interface Balance { balance: number; owner?: string }
const balance = new NativeReducer<Balance>({ initialState: { balance: 0 }, on: { Deposited: [{ op: 'add', path: 'balance', from: 'payloads.amount' }] } });
const inferred = new NativeReducer({ initialState: { count: 0 }, on: {} });
const inferredState: { count: number } = inferred.initialState;
void balance; void inferredState;
// @ts-expect-error a number is not an object state
new NativeReducer<number>({ initialState: 5, on: {} });
// @ts-expect-error nor is an inferred string
new NativeReducer({ initialState: 'idle', on: {} });
// @ts-expect-error MemoryEventStore takes no options
new MemoryEventStore({ directory: './data' });
