// PostgreSQL: an IEventStore that many Node processes share. The database enforces the
// rules: dense versions checked in a server-side function and guarded by a unique index,
// idempotent retries by _id, each dispatch all-or-nothing. Dispatches made at the same time
// share one call of that function and one commit (group commit, postgres-groups.ts). Global
// order for readers: events are numbered by a sequence in the order of their transactions,
// and a read returns only events whose transaction is older than every transaction still
// able to add events (horizonSql), so an event that commits after a later-numbered one is
// never skipped by a subscription.
import { callCore, callCoreText, checkName, coreError, readsStreamText, validatesEvents, writeInput, type CoreValidating, type StreamTextReader } from '../core/core.js';
import { encode, encodeEvents, encodeRequest } from '../core/encode.js';
import { AtomServicesError, asStoreError, invalidArgument, storeClosed } from '../core/errors.js';
import { AppendGroups, type GroupAnswer } from './postgres-groups.js';
import type { AppendResult, IEvent, IEventStore, PositionedEvent, ReadAllOptions, ReadStreamOptions, Snapshot } from '../types.js';

/** The parts of a pg.Pool the store uses (so the typings need no @types/pg). */
export interface PgPool {
  query(text: string | PgQuery, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on?(event: 'error', listener: () => void): unknown;
}

/** A named (prepared) statement, as pg takes it; rows as arrays with rowMode 'array'. */
export interface PgQuery {
  name: string;
  text: string;
  values: unknown[];
  rowMode?: 'array';
}

export interface PgClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification' | 'error', listener: () => void): unknown;
  /** `true` closes the connection instead of returning it to the pool. */
  release(destroy?: boolean): void;
}

export interface PostgresEventStoreOptions {
  /** A connection string (the npm package `pg` must be installed), or... */
  connectionString?: string;
  /** ...a pg.Pool you own (not ended by close()). */
  pool?: PgPool;
  /** The schema holding the store's tables: a lowercase identifier of at most 37 characters, no reserved word (default "public"). */
  schema?: string;
  /** Create the tables and functions on first use (idempotent). Default false: call createSchema(). */
  createSchema?: boolean;
}

/** At most 37 characters: the server cuts names at 63, and the store's statements are named `atomservices_append_group_<schema>`. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,36}$/;
/** PostgreSQL's reserved key words, which are no schema name unquoted. */
const RESERVED = new Set(`all analyse analyze and any array as asc asymmetric authorization binary both case cast check
  collate collation column concurrently constraint create cross current_catalog current_date current_role current_schema
  current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign
  freeze from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like
  limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
  references returning right select session_user similar some symmetric system_user table tablesample then to trailing
  true union unique user using variadic verbose when where window with`.split(/\s+/));

/** The first key of the advisory lock under which writers take positions (the second: the schema's hash). */
const POSITIONS_LOCK = 0x61746f6d;
/** The first key of the advisory lock that listening stores hold shared, for as long as they listen. */
const LISTENERS_LOCK = 0x6c697374;

function schemaSql(s: string): string {
  // One process at a time: concurrent CREATE OR REPLACE of one function fails in PostgreSQL.
  return `
SELECT pg_advisory_xact_lock(hashtext('atomservices schema ${s}'));
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.atomservices_events (
  position bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  version bigint NOT NULL,
  body text NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (aggregate_type, aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS ${s}.atomservices_snapshots (
  key text NOT NULL, aggregate_type text NOT NULL, aggregate_id text NOT NULL, version bigint NOT NULL, state text NOT NULL,
  PRIMARY KEY (key, aggregate_type, aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS ${s}.atomservices_checkpoints (name text PRIMARY KEY, position bigint NOT NULL);
DROP FUNCTION IF EXISTS ${s}.atomservices_append(json);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_batch(json);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_all(json);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_group(json);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_group(int[], uuid[], text[], text[], bigint[], text[]);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_group(int[], uuid[], text[], text[], bigint[], text);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_all(uuid[], text[], text[], bigint[], text[]);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_dispatch(uuid[], text[], text[], bigint[], text[], int, int);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_each(int[], text);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_group(int[], text);
DROP FUNCTION IF EXISTS ${s}.atomservices_append_dispatch(uuid[], text[], text[], bigint[], text[], bigint[], int, int);
-- A group of dispatches travels as one text: its events' rows (_id, AggregateType,
-- AggregateID, _version, JSON) split by U+001F, the rows split by U+001E, as the core writes
-- them, with the number of events of each dispatch (a dispatch's events are adjacent).
-- One dispatch, event by event: an event already stored with the same body is skipped (an
-- idempotent retry); otherwise it must be its aggregate's next version. The events it stores
-- take the positions from \`positions[next_p]\` on, one after the other.
CREATE OR REPLACE FUNCTION ${s}.atomservices_append_dispatch(ids uuid[], types text[], aggregates text[], versions bigint[], bodies text[],
  positions bigint[], next_p int, from_i int, to_i int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  stored text; current bigint; appended bigint := 0;
BEGIN
  FOR i IN from_i..to_i LOOP
    SELECT body INTO stored FROM ${s}.atomservices_events WHERE event_id = ids[i];
    IF FOUND THEN
      IF stored <> bodies[i] THEN RAISE EXCEPTION USING ERRCODE = 'AS001', MESSAGE = (i - from_i)::text; END IF;
    ELSE
      SELECT COALESCE(max(version), 0) INTO current FROM ${s}.atomservices_events
        WHERE aggregate_type = types[i] AND aggregate_id = aggregates[i];
      IF versions[i] <> current + 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'AS002', MESSAGE = (i - from_i)::text || ':' || current::text;
      END IF;
      INSERT INTO ${s}.atomservices_events (position, event_id, aggregate_type, aggregate_id, version, body)
        VALUES (positions[next_p + appended], ids[i], types[i], aggregates[i], versions[i], bodies[i]);
      appended := appended + 1;
    END IF;
  END LOOP;
  RETURN appended;
END $$;
-- Dispatch by dispatch, each in a subtransaction of its own: a refused one answers its
-- error and leaves the others stored. The events stored take the group's positions in
-- order, so each dispatch's new events have adjacent positions.
CREATE OR REPLACE FUNCTION ${s}.atomservices_append_each(counts int[], joined text, positions bigint[], OUT outcomes json, OUT total bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[]; types text[]; aggregates text[]; versions bigint[]; bodies text[]; answers json[] := '{}'; appended bigint; from_i int := 1;
BEGIN
  SELECT array_agg(split_part(r, chr(31), 1)::uuid ORDER BY n), array_agg(split_part(r, chr(31), 2) ORDER BY n),
    array_agg(split_part(r, chr(31), 3) ORDER BY n), array_agg(split_part(r, chr(31), 4)::bigint ORDER BY n), array_agg(split_part(r, chr(31), 5) ORDER BY n)
    INTO ids, types, aggregates, versions, bodies
    FROM unnest(string_to_array(joined, chr(30))) WITH ORDINALITY AS e(r, n);
  total := 0;
  FOR d IN 1..cardinality(counts) LOOP
    BEGIN
      appended := ${s}.atomservices_append_dispatch(ids, types, aggregates, versions, bodies, positions, total::int + 1, from_i, from_i + counts[d] - 1);
      answers := answers || to_json(appended);
      total := total + appended;
    EXCEPTION WHEN SQLSTATE 'AS001' OR SQLSTATE 'AS002' OR unique_violation THEN
      answers := answers || json_build_array(SQLSTATE, SQLERRM);
    END;
    from_i := from_i + counts[d];
  END LOOP;
  outcomes := array_to_json(answers);
END $$;
-- Many dispatches in one call and one transaction, each all-or-nothing on its own.
-- First, a lock on each aggregate the group appends to, held to the commit and taken in one
-- order by every writer (so no two wait for each other): what a locked aggregate holds is
-- committed, and its versions can be checked before inserting.
-- Then positions for the group's events, in the order in which writers take them: under a
-- lock held only for that (not to the commit, so that writers insert and commit side by
-- side), the transaction gets its id and takes its positions. So of two writers, the one
-- with the older transaction id has the smaller positions, and a reader that shows only
-- events of transactions older than every writer still running (horizonSql) never finds a
-- smaller position committed later. The transaction holds its lock on the events table from
-- before it has an id, so a reader counts it as a writer from the moment it has one. (A lock
-- held by the session: should anything fail in between, the error reaches the client, and
-- pg's pool closes a connection whose statement failed, which releases it.)
-- Then, when every aggregate's events in the group are dense and follow the version it
-- holds, the group goes in one INSERT, without a subtransaction. Otherwise, or when the
-- client sends the group again careful (a unique index refused it: an event stored before,
-- a retry most likely), it goes dispatch by dispatch, with the same positions.
-- Last, whether a store listens for appends (it holds the listeners' lock shared): then the
-- client announces the commit (a NOTIFY here would hold a lock of the whole database
-- through the commit). When none does, the lock taken here until the commit makes a
-- listener that comes meanwhile wait until this group's events can be read.
CREATE OR REPLACE FUNCTION ${s}.atomservices_append_group(counts int[], joined text, careful boolean) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  outcomes json; total bigint; last bigint; positions bigint[];
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'atomservices_append_group must run in a transaction of its own';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('${s}'), k) FROM (
    SELECT DISTINCT hashtext(split_part(r, chr(31), 2) || chr(31) || split_part(r, chr(31), 3)) AS k
    FROM unnest(string_to_array(joined, chr(30))) AS r ORDER BY k) AS streams;
  LOCK TABLE ${s}.atomservices_events IN ROW EXCLUSIVE MODE;
  PERFORM pg_advisory_lock(${POSITIONS_LOCK}, hashtext('${s}'));
  PERFORM pg_current_xact_id();
  positions := ARRAY(SELECT nextval('${s}.atomservices_events_position_seq') FROM generate_series(1, (SELECT sum(c) FROM unnest(counts) AS c)));
  PERFORM pg_advisory_unlock(${POSITIONS_LOCK}, hashtext('${s}'));
  IF careful OR EXISTS (
    SELECT 1 FROM (
      SELECT split_part(r, chr(31), 2) AS t, split_part(r, chr(31), 3) AS a, min(split_part(r, chr(31), 4)::bigint) AS low,
        max(split_part(r, chr(31), 4)::bigint) AS high, count(*) AS n
      FROM unnest(string_to_array(joined, chr(30))) AS r GROUP BY 1, 2) AS streams
    WHERE high - low + 1 <> n OR low - 1 <> (SELECT COALESCE(max(version), 0) FROM ${s}.atomservices_events e
      WHERE e.aggregate_type = t AND e.aggregate_id = a))
  THEN
    SELECT * INTO outcomes, total FROM ${s}.atomservices_append_each(counts, joined, positions);
    last := COALESCE((SELECT max(position) FROM ${s}.atomservices_events WHERE position = ANY(positions)),
      (SELECT max(position) FROM ${s}.atomservices_events));
  ELSE
    INSERT INTO ${s}.atomservices_events (position, event_id, aggregate_type, aggregate_id, version, body)
    SELECT p, split_part(r, chr(31), 1)::uuid, split_part(r, chr(31), 2), split_part(r, chr(31), 3), split_part(r, chr(31), 4)::bigint,
      split_part(r, chr(31), 5)
    FROM unnest(string_to_array(joined, chr(30)), positions) AS e(r, p);
    total := cardinality(positions);
    last := positions[total];
  END IF;
  RETURN json_build_object('outcomes', outcomes, 'last', COALESCE(last, 0), 'first', positions[1],
    'listened', NOT pg_try_advisory_xact_lock(${LISTENERS_LOCK}, hashtext('${s}')));
END $$;`;
}

/**
 * The oldest transaction that may still add events, as a scalar subquery evaluated once per
 * read: readers see only events of older transactions, so an event that commits after a
 * later-numbered one is never skipped. Writers get their transaction ids and take their
 * positions one at a time (atomservices_append_group), so positions follow transaction ids,
 * while they insert and commit side by side.
 *
 * A transaction the statement's snapshot shows running is left out when pg_locks shows it
 * holding no lock on the events table in this database (a writer takes that lock before it
 * has an id, so it is no writer) and it is still running after pg_locks was read. That
 * second test matters: a transaction that ends releases its locks one by one after its
 * commit, and pg_locks is not read atomically, so a writer that just committed can show its
 * id's lock without its lock on the table. Its events are hidden from this statement's
 * snapshot, so it must hold the reader back; one still running when pg_locks was read shows
 * every lock it holds. So transactions in other databases, or ones here that never touch
 * the events, hold no reader back.
 */
function horizonSql(events: string): string {
  // pg_locks read once (MATERIALIZED), before pg_xact_status: CASE evaluates in order.
  return `(WITH l AS MATERIALIZED (SELECT locktype, transactionid, virtualtransaction, granted, database, relation FROM pg_locks)
    SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot()))
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE CASE WHEN EXISTS (
      SELECT 1 FROM l t
      WHERE t.locktype = 'transactionid' AND t.transactionid = x::xid AND t.granted
        AND NOT EXISTS (
          SELECT 1 FROM l r
          WHERE r.virtualtransaction = t.virtualtransaction AND r.locktype = 'relation'
            AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND r.relation = '${events}'::regclass))
      THEN pg_xact_status(x) <> 'in progress' ELSE true END)`;
}

// Rows as objects by column, or as arrays (rowMode 'array').
/** How long an idempotent statement is tried again after losing its connection, and how often. */
const RETRY_MS = 20_000;
const RETRY_PAUSE_MS = 100;

/** True when the error says the connection or the server went away, not that the statement failed. */
function lostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (/^(08|57P0)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) return true;
  return error instanceof Error && /connection terminated|not queryable|connection timeout/i.test(error.message);
}

interface Row { [column: string | number]: unknown }

/** One dispatch's events, as the core writes them for the server (see atomservices_append_group). */
interface EventRows {
  rows: string;
  count: number;
  bytes: number;
  /** The aggregates it appends to. */
  streams: string[];
}

/** The aggregates events append to, each once. */
function streamsOf(events: readonly IEvent[]): string[] {
  if (events.length === 1) return [`${events[0]!.AggregateType}\x1f${events[0]!.AggregateID}`];
  return [...new Set(events.map((e) => `${e.AggregateType}\x1f${e.AggregateID}`))];
}

/** An event's columns: _id, AggregateType, AggregateID, _version. */
function columns({ rows }: EventRows, index: number): [id: string, type: string, aggregate: string, version: number] {
  const [id, type, aggregate, version] = rows.split('\x1e')[index]!.split('\x1f');
  return [id!, type!, aggregate!, Number(version)];
}

export class PostgresEventStore implements IEventStore, CoreValidating, StreamTextReader {
  readonly [validatesEvents] = true as const;
  readonly schema: string;
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;
  readonly #createSchema: boolean;
  #ready: Promise<void> | undefined;
  #closed = false;
  #listener: { client: Promise<PgClient> | undefined; listeners: Set<() => void> } | undefined;
  #announcing = false;
  readonly #pending = new Set<Promise<void>>();
  #announceAgain = false;
  readonly #groups = new AppendGroups<EventRows>((batches) => this.#appendGroup(batches));

  constructor(options: PostgresEventStoreOptions) {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object { connectionString } or { pool }');
    const { connectionString, pool, schema = 'public', createSchema = false } = options;
    if ((connectionString === undefined) === (pool === undefined)) throw invalidArgument('options', 'needs exactly one of connectionString and pool');
    if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === '')) {
      throw invalidArgument('options.connectionString', 'must be a non-empty string like postgres://user:password@host:5432/database');
    }
    if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof (pool as PgPool).query !== 'function')) {
      throw invalidArgument('options.pool', 'must be a pg.Pool');
    }
    if (typeof schema !== 'string' || !IDENTIFIER.test(schema) || RESERVED.has(schema)) {
      throw invalidArgument('options.schema', 'must be a lowercase SQL identifier of at most 37 characters and no reserved word, like "public" or "events_2"');
    }
    if (typeof createSchema !== 'boolean') throw invalidArgument('options.createSchema', 'must be true or false');
    this.schema = schema;
    this.#createSchema = createSchema;
    this.#ownsPool = pool === undefined;
    this.#pool = pool ?? PostgresEventStore.#newPool(connectionString as string);
    // An idle connection the server closed (a restart) is dropped by the pool, and the next
    // statement opens a new one; unheard, its error would end the process.
    if (this.#ownsPool) this.#pool.on?.('error', () => {});
  }

  static #newPool(connectionString: string): PgPool {
    let pg: { Pool: new (options: { connectionString: string }) => PgPool };
    try {
      pg = require('pg');
    } catch (error) {
      throw new AtomServicesError('INVALID_ARGUMENT', 'PostgresEventStore needs the npm package pg: npm install pg', {}, error);
    }
    return new pg.Pool({ connectionString });
  }

  /** Creates the store's schema, tables and function; safe to call again. */
  async createSchema(): Promise<void> {
    await this.#query(schemaSql(this.schema), undefined, false);
  }

  /**
   * Runs a statement. Every statement but the schema's is idempotent (reads, upserts), so
   * one that lost its connection (the server restarting, say) is tried again for a while.
   */
  async #query(text: string | PgQuery, values?: unknown[], retry = true): Promise<Row[]> {
    for (const started = Date.now(); ;) {
      if (this.#closed) throw storeClosed('event store');
      try {
        return (await this.#send(text, values)).rows;
      } catch (error) {
        if (!retry || !lostConnection(error) || Date.now() - started > RETRY_MS) throw this.#translate(error);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  /**
   * Every statement goes through here, so that close() can wait for them before it ends the
   * pool (pg's pool, once ended, never answers the calls still waiting for a connection).
   */
  #send(text: string | PgQuery, values?: unknown[]): Promise<{ rows: Row[] }> {
    const sent = this.#pool.query(text, values);
    const settled = sent.then(() => {}, () => {});
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return sent;
  }

  #translate(error: unknown): AtomServicesError {
    if (error instanceof AtomServicesError) return error;  // STORE_CLOSED, say
    const text = error instanceof Error ? error.message : String(error);
    return asStoreError(new AtomServicesError('STORE_FAILURE', `PostgreSQL: ${text}`, {}, error));
  }

  #open(): Promise<void> {
    this.#ready ??= (this.#createSchema ? this.createSchema() : Promise.resolve()).catch((error) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  get #events(): string {
    return `${this.schema}.atomservices_events`;
  }

  async append(events: readonly IEvent[]): Promise<AppendResult> {
    if (!Array.isArray(events)) throw invalidArgument('events', 'must be an array of events');
    const json = encodeEvents(events);
    const rows = callCoreText((core) => core.eventRows(writeInput(core, json)));
    await this.#open();
    if (events.length === 0) return { appended: 0, lastPosition: await this.getLastPosition() };
    const batch: EventRows = { rows, count: events.length, bytes: rows.length, streams: streamsOf(events) };
    for (let attempt = 0; ; attempt++) {
      const { outcome, last, newest } = await this.#groups.add(batch).catch((error) => { throw this.#translate(error); });
      if (outcome === undefined) return { appended: batch.count, lastPosition: newest ?? last };
      if (typeof outcome === 'number') {
        // Some were stored before (a retry mixed with new events): the new ones are this
        // dispatch's newest rows, which other dispatches of the group may follow.
        const mixed = outcome > 0 && outcome < batch.count;
        return { appended: outcome, lastPosition: mixed ? await this.#newestOf(events) : outcome > 0 ? newest ?? last : last };
      }
      const [code, detail] = outcome;
      if (code === 'AS001') throw this.#duplicate(columns(batch, Number(detail)), Number(detail));
      if (code === 'AS002') {
        const [index, actual] = detail.split(':').map(Number);
        throw this.#conflict(columns(batch, index!), index!, actual!);
      }
      // A concurrent append took the same _id or version first: decide again, once, against it.
      if (attempt === 0) continue;
      const first = columns(batch, 0);
      throw this.#conflict(first, 0, await this.getVersion(first[1], first[2]));
    }
  }

  /**
   * The position of the newest of these events, once readers see it: the caller reads the
   * new events back by position, and groups commit side by side, so one that took earlier
   * positions may still be committing.
   */
  async #newestOf(events: readonly IEvent[]): Promise<number> {
    const [row] = await this.#query(`SELECT max(position) AS position FROM ${this.#events} WHERE event_id = ANY($1::uuid[])`,
      [events.map((event) => event._id)]);
    const position = Number(row!.position);
    // Pauses that grow: a long transaction that touched the events table holds readers back.
    for (let pause = 2; await this.getLastPosition() < position; pause = Math.min(pause * 2, 100)) {
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    return position;
  }

  /** Sends a group of dispatches in one call of the server function (a prepared statement). */
  async #appendGroup(batches: readonly EventRows[]): Promise<GroupAnswer> {
    if (this.#closed) throw storeClosed('event store');
    const values = [batches.map((b) => b.count), batches.map((b) => b.rows).join('\x1e'), false];
    const call = async () => (await this.#send({
      name: `atomservices_append_group_${this.schema}`,
      text: `SELECT ${this.schema}.atomservices_append_group($1, $2, $3) AS answer`,
      values,
    })).rows[0]!.answer as GroupAnswer;
    let answer: GroupAnswer | undefined;
    try {
      try {
        answer = await call();
      } catch (error) {
        // A unique index refused the group (an event stored before, most likely a retry):
        // once more, careful, so that each dispatch gets its own answer.
        if ((error as { code?: unknown } | null)?.code !== '23505') throw error;
        values[2] = true;
        answer = await call();
      }
      return answer;
    } finally {
      // Also when the group stored nothing: while it was open, readers held back the events
      // of groups that committed after it took its positions; they can read them now.
      if (answer?.listened !== false) this.#announce();
    }
  }

  /**
   * Wakes the listeners of every process (LISTEN/NOTIFY) after a group committed, in a
   * statement of its own: a transaction that notifies holds a lock of the whole database
   * through its commit, so groups that notified would commit one at a time, in every process.
   * At most one announcement is in flight; groups that commit meanwhile get one more after
   * it. (A process that ends in between leaves the listeners to their poll.)
   */
  #announce(): void {
    if (this.#closed) return;
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = true;
    void this.#send(`SELECT pg_notify('atomservices_${this.schema}', '')`).catch(() => {}).finally(() => {
      this.#announcing = false;
      if (!this.#announceAgain) return;
      this.#announceAgain = false;
      this.#announce();
    });
  }

  // The core's own errors, as every other store refuses with them.
  #duplicate([id]: ReturnType<typeof columns>, index: number): AtomServicesError {
    return coreError((core) => core.throwDuplicate(index, id));
  }

  #conflict([, AggregateType, AggregateID, version]: ReturnType<typeof columns>, index: number, actual: number): AtomServicesError {
    return coreError((core) => core.throwConflict(index, AggregateType, AggregateID, version, actual));
  }

  async readStream(AggregateType: string, AggregateID: string, options: ReadStreamOptions = {}): Promise<IEvent[]> {
    return (await this.#streamRows(AggregateType, AggregateID, options)).map((r) => JSON.parse(r[0] as string));
  }

  /** A page of a stream as the JSON text of an array of the stored events (for a native fold). */
  async [readsStreamText](AggregateType: string, AggregateID: string, options: ReadStreamOptions = {}): Promise<string> {
    return `[${(await this.#streamRows(AggregateType, AggregateID, options)).map((r) => r[0]).join(',')}]`;
  }

  async #streamRows(AggregateType: string, AggregateID: string, options: ReadStreamOptions): Promise<Row[]> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID, options })));
    await this.#open();
    const { fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER, limit = null, direction = 'forward' } = options;
    const order = direction === 'backward' ? 'DESC' : 'ASC';
    return this.#query({
      name: `atomservices_stream_${order}_${this.schema}`,
      text: `SELECT body FROM ${this.#events} WHERE aggregate_type = $1 AND aggregate_id = $2 AND version BETWEEN $3 AND $4
        ORDER BY version ${order} LIMIT $5`,
      values: [AggregateType, AggregateID, fromVersion, toVersion, limit],
      rowMode: 'array',
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<PositionedEvent[]> {
    callCore((core) => core.checkGlobalQuery(encodeRequest(options)));
    await this.#open();
    const { fromPosition = 1, limit = null } = options;
    const rows = await this.#query({
      name: `atomservices_all_${this.schema}`,
      text: `SELECT position, body FROM ${this.#events} WHERE position >= $1 AND transaction_id < ${horizonSql(this.#events)}
        ORDER BY position LIMIT $2`,
      values: [fromPosition, limit],
      rowMode: 'array',
    });
    return rows.map((r) => ({ position: Number(r[0]), event: JSON.parse(r[1] as string) }));
  }

  async getVersion(AggregateType: string, AggregateID: string): Promise<number> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    await this.#open();
    const [row] = await this.#query(`SELECT COALESCE(max(version), 0) AS v FROM ${this.#events} WHERE aggregate_type = $1 AND aggregate_id = $2`,
      [AggregateType, AggregateID]);
    return Number(row!.v);
  }

  async getEvent(_id: string): Promise<IEvent | undefined> {
    if (typeof _id !== 'string') throw invalidArgument('_id', 'must be a string');
    await this.#open();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(_id)) return undefined;
    const [row] = await this.#query(`SELECT body FROM ${this.#events} WHERE event_id = $1`, [_id]);
    return row ? JSON.parse(row.body as string) : undefined;
  }

  async getLastPosition(): Promise<number> {
    await this.#open();
    const [row] = await this.#query(`SELECT COALESCE(max(position), 0) AS p FROM ${this.#events}
      WHERE transaction_id < ${horizonSql(this.#events)}`);
    return Number(row!.p);
  }

  async getSnapshot(key: string, AggregateType: string, AggregateID: string, maxVersion?: number): Promise<Snapshot | undefined> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    await this.#open();
    const [row] = await this.#query(`SELECT version, state FROM ${this.schema}.atomservices_snapshots
      WHERE key = $1 AND aggregate_type = $2 AND aggregate_id = $3 AND version <= $4 ORDER BY version DESC LIMIT 1`,
    [key, AggregateType, AggregateID, maxVersion ?? Number.MAX_SAFE_INTEGER]);
    return row ? { version: Number(row.version), state: JSON.parse(row.state as string) } : undefined;
  }

  async putSnapshot(key: string, AggregateType: string, AggregateID: string, version: number, state: unknown): Promise<void> {
    callCore((core) => core.checkStreamQuery(encodeRequest({ AggregateType, AggregateID })));
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    if (!Number.isSafeInteger(version) || version < 1) throw invalidArgument('version', 'must be an integer ≥ 1');
    const json = encode(state, 'state', 'INVALID_ARGUMENT');
    await this.#open();
    await this.#query(`INSERT INTO ${this.schema}.atomservices_snapshots VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (key, aggregate_type, aggregate_id, version) DO UPDATE SET state = EXCLUDED.state`,
    [key, AggregateType, AggregateID, version, json]);
  }

  async getCheckpoint(name: string): Promise<number | undefined> {
    if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'must be a non-empty string');
    await this.#open();
    const [row] = await this.#query(`SELECT position FROM ${this.schema}.atomservices_checkpoints WHERE name = $1`, [name]);
    return row ? Number(row.position) : undefined;
  }

  async putCheckpoint(name: string, position: number): Promise<void> {
    if (typeof name !== 'string') throw invalidArgument('name', 'must be a string');
    checkName('name', name);  // the core's rule for names, as every store keeps it
    if (!Number.isSafeInteger(position) || position < 0) throw invalidArgument('position', 'must be an integer ≥ 0');
    await this.#open();
    await this.#query(`INSERT INTO ${this.schema}.atomservices_checkpoints VALUES ($1, $2)
      ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`, [name, position]);
  }

  /**
   * Hears appends from every process through LISTEN/NOTIFY, on one connection of the pool
   * for as long as the store is open. A lost connection is opened again, and the listeners
   * are woken then (appends made meanwhile were not announced).
   */
  watch(listener: () => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener', 'must be a function');
    if (!this.#listener) {
      this.#listener = { client: undefined, listeners: new Set() };
      this.#listen();
    }
    const { listeners } = this.#listener;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listener?.listeners === listeners) this.#unlisten();
    };
  }

  /** Nobody listens any more: the connection that listened is closed (it kept the process alive). */
  #unlisten(): void {
    const state = this.#listener;
    this.#listener = undefined;
    void state?.client?.then((c) => c.release(true), () => {});
  }

  #listen(): void {
    const state = this.#listener;
    if (!state || this.#closed || state.client) return;  // unwatched, closed, or listening already
    const wake = () => { for (const l of state.listeners) l(); };
    let lost = false;
    // Once per connection: it is closed (not pooled: it listens), and another is opened.
    const drop = (c?: PgClient) => {
      if (lost || this.#listener !== state) return;  // released already, by close() or the last unwatch
      lost = true;
      if (state.client === client) state.client = undefined;  // so close() does not release it again
      c?.release(true);
      setTimeout(() => this.#listen(), RETRY_PAUSE_MS);
    };
    const client: Promise<PgClient> = this.#pool.connect().then(async (c) => {
      c.on('notification', wake);
      c.on('error', () => drop(c));
      try {
        // Held for as long as the connection listens: writers announce their commits while
        // some store holds it (a writer that saw none makes this wait until it committed).
        await c.query(`SELECT pg_advisory_lock_shared(${LISTENERS_LOCK}, hashtext('${this.schema}'))`);
        await c.query(`LISTEN atomservices_${this.schema}`);
      } catch (error) {
        drop(c);
        throw error;
      }
      wake();
      return c;
    });
    state.client = client;
    client.catch(() => drop());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#listener) {
      const client = await this.#listener.client?.catch(() => undefined);
      client?.release(true);  // it still listens: not back into the pool
      this.#listener = undefined;
    }
    // Statements in flight end (their retries and the groups waiting behind them see the
    // store closed) before the pool does.
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    if (this.#ownsPool) await this.#pool.end();
  }
}
