// The three PostgreSQL event stores the benchmark compares, behind one small interface:
// `dispatcher(AggregateID)` gives a function that appends the aggregate's next event, and
// `rehydrate(AggregateID)` folds an aggregate. Shared by the benchmark and its child processes.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { createService, EventBuilder, NativeReducer } from 'atomservices';
import { PostgresEventStore } from 'atomservices/postgres';
import { release016 } from './release016.mjs';

const build = EventBuilder({ EventName: 'Deposited', AggregateType: 'Account' });
// ~380-byte events with incompressible payloads, made before timing starts.
const notes = Array.from({ length: 1024 }, () => randomBytes(120).toString('base64'));
let next = 0;
export const payloads = () => ({ amount: 5, note: notes[next++ % notes.length] });
const fold = (total, amount) => total + amount;

export async function atomservices(url, schema, { baseline = false } = {}) {
  const EventStore = new PostgresEventStore({ connectionString: url, schema, createSchema: true });
  const service = createService({ EventStore });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // 0.16.0 itself, in a schema of its own holding the same events (the rehydration baseline).
  const release = baseline ? await release016() : undefined;
  const old = release && release.createService({
    EventStore: new release.PostgresEventStore({ connectionString: url, schema: `${schema}_016`, createSchema: true }),
  });
  const native = new NativeReducer({ initialState: { total: 0 }, on: { Deposited: [{ op: 'add', path: 'total', from: 'payloads.amount' }] } });
  return {
    dispatcher(AggregateID) {
      let version = 0;
      return () => service.dispatch(build({ _version: ++version, _createdBy: 'bench', AggregateID, payloads: payloads() }));
    },
    batch: async (AggregateID, from, count) => {
      const events = Array.from({ length: count }, (_, i) => build({ _version: from + i, _createdBy: 'bench', AggregateID, payloads: payloads() }));
      await service.dispatch(events);
      if (old) await old.dispatch(events);
    },
    rehydrate: async (AggregateID) => (await service.rehydrate('Account', AggregateID, (s, e) => fold(s, e.payloads.amount), 0)).state,
    rehydrateNative: async (AggregateID) => (await service.rehydrate('Account', AggregateID, native, { snapshots: false })).state.total,
    rehydrate016: old
      ? async (AggregateID) => (await old.rehydrate('Account', AggregateID, (s, e) => fold(s, e.payloads.amount), 0)).state
      : (AggregateID) => rehydrateAs016(pool, schema, AggregateID),
    baseline: old ? '0.16.0' : "0.16.0's queries",
    close: async () => { await service.close(); await old?.close(); await pool.end(); },
  };
}

/**
 * The reads 0.16.0 made to rehydrate, on the same table, where the 0.16.0 package cannot be
 * built: the version, then pages of 1,000 rows, one JSON.parse per event, a JS fold, without
 * the service around them (so faster than 0.16.0 was).
 */
async function rehydrateAs016(pool, schema, AggregateID) {
  const where = `FROM ${schema}.atomservices_events WHERE aggregate_type = 'Account' AND aggregate_id = $1`;
  const { rows: [{ v }] } = await pool.query(`SELECT COALESCE(max(version), 0) AS v ${where}`, [AggregateID]);
  let state = 0;
  for (let version = 0; version < Number(v);) {
    const { rows } = await pool.query(`SELECT body ${where} AND version BETWEEN $2 AND $3 ORDER BY version LIMIT 1000`, [AggregateID, version + 1, Number(v)]);
    for (const event of rows.map((r) => JSON.parse(r.body))) {
      state = fold(state, event.payloads.amount);
      version = event._version;
    }
  }
  return state;
}

export async function emmett(url) {
  const store = getPostgreSQLEventStore(url);
  const event = () => ({ type: 'Deposited', data: payloads(), metadata: { createdBy: 'bench' } });
  return {
    dispatcher(AggregateID) {
      let version = 0n;
      return async () => {
        await store.appendToStream(`Account-${AggregateID}`, [event()], { expectedStreamVersion: version });
        version++;
      };
    },
    batch: (AggregateID, from, count) => store.appendToStream(`Account-${AggregateID}`, Array.from({ length: count }, event),
      { expectedStreamVersion: BigInt(from - 1) }),
    rehydrate: async (AggregateID) => (await store.aggregateStream(`Account-${AggregateID}`, {
      evolve: (s, e) => fold(s, e.data.amount), initialState: () => 0,
    })).state,
    close: () => store.close(),
  };
}

/** What a user writes in an afternoon: a pool of 10, one INSERT per dispatch, unique keys. */
export async function handWritten(url, table) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
    position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, aggregate_type text NOT NULL,
    aggregate_id text NOT NULL, version bigint NOT NULL, body jsonb NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, version))`);
  const event = (AggregateID, version) => ({ _id: randomUUID(), _createdAt: new Date().toISOString(), _version: version,
    _createdBy: 'bench', EventName: 'Deposited', AggregateType: 'Account', AggregateID, payloads: payloads() });
  const insert = (e) => pool.query(`INSERT INTO ${table} (event_id, aggregate_type, aggregate_id, version, body) VALUES ($1, $2, $3, $4, $5)`,
    [e._id, e.AggregateType, e.AggregateID, e._version, JSON.stringify(e)]);
  return {
    dispatcher(AggregateID) {
      let version = 0;
      return () => insert(event(AggregateID, ++version));
    },
    batch: async (AggregateID, from, count) => {
      for (let i = 0; i < count; i++) await insert(event(AggregateID, from + i));
    },
    rehydrate: async (AggregateID) => {
      const { rows } = await pool.query(`SELECT body FROM ${table} WHERE aggregate_type = 'Account' AND aggregate_id = $1 ORDER BY version`, [AggregateID]);
      return rows.reduce((s, r) => fold(s, r.body.payloads.amount), 0);
    },
    drop: () => pool.query(`DROP TABLE IF EXISTS ${table}`),
    close: () => pool.end(),
  };
}

/** `writers` dispatchers, each appending `each` events to its own new aggregate; returns the events stored. */
export async function concurrent(store, writers, each) {
  await Promise.all(Array.from({ length: writers }, async () => {
    const dispatch = store.dispatcher(randomUUID());
    for (let i = 0; i < each; i++) await dispatch();
  }));
  return writers * each;
}
