// The PostgreSQL store's SQL: its tables, the server function that stores a group of
// dispatches, the readers' horizon, and the rule for schema names (interpolated into all of
// it, so it must be a plain identifier).

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
export const LISTENERS_LOCK = 0x6c697374;

export function schemaSql(s: string): string {
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
-- holds, the group goes in one INSERT, without a subtransaction (a group of one event checks
-- its version in that INSERT, in scalar steps: ~10% of a lone dispatch's latency). Otherwise,
-- or when the client sends the group again careful (a unique index refused it: an event
-- stored before, a retry most likely), it goes dispatch by dispatch, with the same positions.
-- Last, whether a store listens for appends (it holds the listeners' lock shared): then the
-- client announces the commit (a NOTIFY here would hold a lock of the whole database
-- through the commit). When none does, the lock taken here until the commit makes a
-- listener that comes meanwhile wait until this group's events can be read.
CREATE OR REPLACE FUNCTION ${s}.atomservices_append_group(counts int[], joined text, careful boolean) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  outcomes json; total bigint; last bigint; positions bigint[]; stored boolean := false;
  one text[];  -- the fields of a group of one event (the most common), which takes scalar steps
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'atomservices_append_group must run in a transaction of its own';
  END IF;
  IF counts = '{1}' THEN
    one := string_to_array(joined, chr(31));
    PERFORM pg_advisory_xact_lock(hashtext('${s}'), hashtext(one[2] || chr(31) || one[3]));
  ELSE
    PERFORM pg_advisory_xact_lock(hashtext('${s}'), k) FROM (
      SELECT DISTINCT hashtext(split_part(r, chr(31), 2) || chr(31) || split_part(r, chr(31), 3)) AS k
      FROM unnest(string_to_array(joined, chr(30))) AS r ORDER BY k) AS streams;
  END IF;
  LOCK TABLE ${s}.atomservices_events IN ROW EXCLUSIVE MODE;
  PERFORM pg_advisory_lock(${POSITIONS_LOCK}, hashtext('${s}'));
  PERFORM pg_current_xact_id();
  IF one IS NOT NULL THEN
    positions := ARRAY[nextval('${s}.atomservices_events_position_seq')];
  ELSE
    positions := ARRAY(SELECT nextval('${s}.atomservices_events_position_seq') FROM generate_series(1, (SELECT sum(c) FROM unnest(counts) AS c)));
  END IF;
  PERFORM pg_advisory_unlock(${POSITIONS_LOCK}, hashtext('${s}'));
  IF careful THEN
    NULL;
  ELSIF one IS NOT NULL THEN
    INSERT INTO ${s}.atomservices_events (position, event_id, aggregate_type, aggregate_id, version, body)
    SELECT positions[1], one[1]::uuid, one[2], one[3], one[4]::bigint, one[5]
    WHERE one[4]::bigint - 1 = (SELECT COALESCE(max(version), 0) FROM ${s}.atomservices_events e
      WHERE e.aggregate_type = one[2] AND e.aggregate_id = one[3]);
    stored := FOUND;
  ELSIF NOT EXISTS (
    SELECT 1 FROM (
      SELECT split_part(r, chr(31), 2) AS t, split_part(r, chr(31), 3) AS a, min(split_part(r, chr(31), 4)::bigint) AS low,
        max(split_part(r, chr(31), 4)::bigint) AS high, count(*) AS n
      FROM unnest(string_to_array(joined, chr(30))) AS r GROUP BY 1, 2) AS streams
    WHERE high - low + 1 <> n OR low - 1 <> (SELECT COALESCE(max(version), 0) FROM ${s}.atomservices_events e
      WHERE e.aggregate_type = t AND e.aggregate_id = a))
  THEN
    INSERT INTO ${s}.atomservices_events (position, event_id, aggregate_type, aggregate_id, version, body)
    SELECT p, split_part(r, chr(31), 1)::uuid, split_part(r, chr(31), 2), split_part(r, chr(31), 3), split_part(r, chr(31), 4)::bigint,
      split_part(r, chr(31), 5)
    FROM unnest(string_to_array(joined, chr(30)), positions) AS e(r, p);
    stored := true;
  END IF;
  IF stored THEN
    total := cardinality(positions);
    last := positions[total];
  ELSE
    SELECT * INTO outcomes, total FROM ${s}.atomservices_append_each(counts, joined, positions);
    last := COALESCE((SELECT max(position) FROM ${s}.atomservices_events WHERE position = ANY(positions)),
      (SELECT max(position) FROM ${s}.atomservices_events));
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
export function horizonSql(events: string): string {
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

/** Whether a schema name can be used unquoted in every statement and name the store makes. */
export function isSchemaName(schema: unknown): schema is string {
  return typeof schema === 'string' && IDENTIFIER.test(schema) && !RESERVED.has(schema);
}
