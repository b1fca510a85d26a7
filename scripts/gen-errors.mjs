// Generates js/core/generated/error-codes.ts from the one list in include/atomservices/error_codes.def.
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

/** The README's error table, between its error-codes markers. */
export function readmeTable() {
  const rows = readErrorCodes().map(({ code, description }) => `| \`${code}\` | ${description.replace(/_version|_id/g, (m) => `\`${m}\``)} |`);
  return ['| code | meaning and what to do |', '| --- | --- |', ...rows].join('\n');
}

const README_TABLE = /(<!-- error-codes:start -->)[\s\S]*?(<!-- error-codes:end -->)/;

export function readmeWithTable(readme) {
  if (!README_TABLE.test(readme)) throw new Error('README.md has no error-codes markers');
  return readme.replace(README_TABLE, (_, start, end) => `${start}\n${readmeTable()}\n${end}`);
}

if (process.argv[2] === '--readme') {
  const path = join(root, 'README.md');
  writeFileSync(path, readmeWithTable(readFileSync(path, 'utf8')));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = readErrorCodes().map(({ code, description }) => `  ${code}: ${JSON.stringify(description)},`);
  const out = join(root, 'js/core/generated/error-codes.ts');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `// Generated from include/atomservices/error_codes.def by scripts/gen-errors.mjs.\n` +
    `/** Every error code atomservices uses, with what it means and what to do. */\n` +
    `export const ERROR_CODES = {\n${lines.join('\n')}\n} as const;\n\n` +
    `export type ErrorCode = keyof typeof ERROR_CODES;\n`);
}
