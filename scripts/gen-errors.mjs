// Generates js/generated/error-codes.ts from the one list in include/atomservices/error_codes.def.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export function readErrorCodes() {
  const text = readFileSync(join(root, 'include/atomservices/error_codes.def'), 'utf8');
  const entries = [...text.matchAll(/^ATOMSERVICES_ERROR\((\w+), ("(?:[^"\\]|\\.)*")\)$/gm)];
  if (entries.length === 0) throw new Error('no error codes found in error_codes.def');
  return entries.map(([, code, description]) => ({ code, description: JSON.parse(description) }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = readErrorCodes().map(({ code, description }) => `  ${code}: ${JSON.stringify(description)},`);
  const out = join(root, 'js/generated/error-codes.ts');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `// Generated from include/atomservices/error_codes.def by scripts/gen-errors.mjs.\n` +
    `/** Every error code atomservices uses, with what it means and what to do. */\n` +
    `export const ERROR_CODES = {\n${lines.join('\n')}\n} as const;\n\n` +
    `export type ErrorCode = keyof typeof ERROR_CODES;\n`);
}
