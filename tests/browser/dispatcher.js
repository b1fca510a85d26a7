// An app's writer, the same code in every tab and worker: a service on the shared store
// (`store` names its class: IndexedDBEventStore by default, or OPFSEventStore)
// dispatching `count` events to overlapping counters from `concurrency` loops, each at
// the version it read; a loop that loses a race (CONCURRENCY_CONFLICT) reads again.
// `acknowledge(id)` hears each event whose dispatch resolved, as it happens.
export async function dispatchMany(atomservices, { store = 'IndexedDBEventStore', name, who, count, aggregates = 8, concurrency = 4, acknowledge = () => {} }) {
  const { createService, EventBuilder } = atomservices;
  const service = createService({ EventStore: new atomservices[store]({ name }) });
  const build = EventBuilder({ EventName: 'Counted', AggregateType: 'Counter' });
  const acknowledged = [];
  const conflicts = [];
  let next = 0;
  const dispatchOne = async (n) => {
    const AggregateID = `c${n % aggregates}`;
    for (;;) {
      const version = await service.getVersion('Counter', AggregateID);
      const event = build({ _version: version + 1, _createdBy: who, AggregateID, payloads: { who, n } });
      try {
        await service.dispatch(event);
        acknowledged.push(event._id);
        await acknowledge(event._id);
        return;
      } catch (error) {
        if (error?.code !== 'CONCURRENCY_CONFLICT') throw error;
        conflicts.push(error.code);
      }
    }
  };
  const loop = async () => {
    while (next < count) await dispatchOne(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await service.close();
  return { acknowledged, conflicts: conflicts.length };
}

/** Tries to write version 1 of one aggregate: one writer of all the tabs wins. */
export async function race(atomservices, { store = 'IndexedDBEventStore', name, who }) {
  const { createService, EventBuilder } = atomservices;
  const service = createService({ EventStore: new atomservices[store]({ name }) });
  const event = EventBuilder({ EventName: 'Claimed', AggregateType: 'Prize' })({ _version: 1, _createdBy: who, AggregateID: 'prize', payloads: { who } });
  try {
    await service.dispatch(event);
    return { won: event._id };
  } catch (error) {
    return { code: error.code, name: error.name, expectedVersion: error.expectedVersion, actualVersion: error.actualVersion };
  } finally {
    await service.close();
  }
}
