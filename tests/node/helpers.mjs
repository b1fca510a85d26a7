// Shared test helpers. Tests import the package by its name: the built dist/ through
// package.json "exports", exactly what users get.
import { EventBuilder, createService, MemoryEventStore } from 'atomservices';

export const buildOpened = EventBuilder({ EventName: 'AccountOpened', AggregateType: 'Account' });
export const buildDeposited = EventBuilder({ EventName: 'MoneyDeposited', AggregateType: 'Account' });

/** A stream of `count` events for one new aggregate: opened, then deposits. */
export function accountEvents(count, AggregateID = crypto.randomUUID()) {
  const events = [buildOpened({ _version: 1, _createdBy: 'tests', AggregateID, payloads: { owner: 'ada' } })];
  for (let v = 2; v <= count; v++) {
    events.push(buildDeposited({ _version: v, _createdBy: 'tests', AggregateID, payloads: { amount: v } }));
  }
  return events;
}

/** Resolves once the event loop has run pending handlers. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** Asserts that a Promise rejects with an AtomServicesError of the given code; returns it. */
export async function rejectsWith(promise, code, assert) {
  try {
    await promise;
  } catch (error) {
    assert.equal(error?.name, 'AtomServicesError', `expected an AtomServicesError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** A service over a new in-memory store (the default store is on disk). */
export function memoryService(options = {}) {
  return createService({ EventStore: new MemoryEventStore(), ...options });
}
