// A writer that takes turns: it opens the store (with wait: true, waiting to hold it itself),
// appends a few events to a shared aggregate at the version it reads, closes the store to
// hand it on, and repeats until `ms` passed. Used by pages and by a worker at the same time.
export async function writeFor(atomservices, name, who, ms, wait = true) {
  const { IndexedDBEventStore, EventBuilder } = atomservices;
  const build = EventBuilder({ EventName: 'Wrote', AggregateType: 'Shared' });
  const acknowledged = [];
  let turns = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const store = new IndexedDBEventStore({ name, wait });
    let version = await store.getVersion('Shared', 'log');
    for (let i = 0; i < 3; i++) {
      const event = build({ _version: ++version, _createdBy: who, AggregateID: 'log', payloads: { who, turn: turns } });
      await store.append([event]);
      acknowledged.push(event._id);
    }
    await store.close();
    turns++;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
  }
  return { acknowledged, turns };
}
