// Scratch directories for tests that write stores to disk; removed when the process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), 'atomservices-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

export function scratchDirectory(prefix = 'store-') {
  return mkdtempSync(join(scratch, prefix));
}
