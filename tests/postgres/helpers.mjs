// PostgreSQL test helpers: the server from scripts/postgres.sh, a fresh schema per store,
// dropped when the tests end.
import { after } from 'node:test';
import pg from 'pg';
import { PostgresEventStore } from 'atomservices/postgres';

export const url = process.env.ATOMSERVICES_PG_URL;
if (!url?.startsWith('postgres://')) {
  throw new Error(`ATOMSERVICES_PG_URL must be a postgres:// URL, got ${JSON.stringify(url)}; bash scripts/postgres.sh prints one (npm run test:postgres does it)`);
}

const schemas = [];
let count = 0;

export function freshSchema() {
  const schema = `t${process.pid}_${++count}`;
  schemas.push(schema);
  return schema;
}

export function freshStore(options = {}) {
  return new PostgresEventStore({ connectionString: url, schema: freshSchema(), createSchema: true, ...options });
}

after(async () => {
  const pool = new pg.Pool({ connectionString: url });
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});
