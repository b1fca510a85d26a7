// The README's error table is generated from the one list of codes; it must not drift.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from 'atomservices';
import { readErrorCodes, readmeWithTable } from '../../scripts/gen-errors.mjs';

it('the README lists every error code, as the C++ list defines them', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, readmeWithTable(readme), 'README error table is stale: run node scripts/gen-errors.mjs --readme');
  assert.deepEqual(Object.keys(ERROR_CODES), readErrorCodes().map((e) => e.code));
});

it('the README performance table says what the saved benchmark figures say', async () => {
  const { readmeWithPerformance } = await import('../../bench/readme-table.mjs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, readmeWithPerformance(readme), 'README performance table is stale: run node bench/readme-table.mjs');
});
