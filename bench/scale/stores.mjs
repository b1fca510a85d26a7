// The two stores of the scale benchmark, behind one small face: a FileEventStore, and an
// event store a user would write on better-sqlite3 (WAL, synchronous=FULL, indexes on
// (type, id, version) and on the event id, one transaction per dispatch).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FileEventStore } from 'atomservices';

const require = createRequire(import.meta.url);
// Loaded with the module, as atomservices is, so that neither load counts in an open.
const Database = (() => {
  try {
    return require('better-sqlite3');
  } catch {
    return undefined;  // scale.mjs installs it for its run
  }
})();

export function atomservices(directory) {
  const store = new FileEventStore({ directory });
  return {
    append: (events) => store.append(events),
    stream: (type, id) => store.readStream(type, id),
    event: (id) => store.getEvent(id),
    from: (position, limit) => store.readAll({ fromPosition: position, limit }),
    last: () => store.getLastPosition(),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

export function sqlite(directory) {
  const db = new Database(join(directory, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, aggregate TEXT NOT NULL,
    version INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE UNIQUE INDEX IF NOT EXISTS events_stream ON events (type, aggregate, version);
    CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);`);
  const current = db.prepare('SELECT MAX(version) AS v FROM events WHERE type = ? AND aggregate = ?');
  const insert = db.prepare('INSERT INTO events (id, type, aggregate, version, data) VALUES (?, ?, ?, ?, ?)');
  const append = db.transaction((events) => {
    for (const e of events) {
      if ((current.get(e.AggregateType, e.AggregateID).v ?? 0) + 1 !== e._version) throw new Error('concurrency conflict');
      insert.run(e._id, e.AggregateType, e.AggregateID, e._version, JSON.stringify(e));
    }
  });
  const stream = db.prepare('SELECT data FROM events WHERE type = ? AND aggregate = ? ORDER BY version');
  const byId = db.prepare('SELECT data FROM events WHERE id = ?');
  const from = db.prepare('SELECT position, data FROM events WHERE position >= ? ORDER BY position LIMIT ?');
  const last = db.prepare('SELECT MAX(position) AS p FROM events');
  return {
    append: async (events) => append(events),
    stream: async (type, id) => stream.all(type, id).map((row) => JSON.parse(row.data)),
    event: async (id) => { const row = byId.get(id); return row && JSON.parse(row.data); },
    from: async (position, limit) => from.all(position, limit).map((row) => ({ position: row.position, event: JSON.parse(row.data) })),
    last: async () => last.get().p ?? 0,
    stats: async () => ({}),
    close: async () => db.close(),
  };
}

export const stores = { atomservices, 'better-sqlite3': sqlite };
