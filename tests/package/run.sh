#!/usr/bin/env bash
# Package smoke test: npm pack, install the tarball in a blank app, and run the seed's
# quick start there with import, with require, and as TypeScript under --strict.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
app="$(mktemp -d)"
trap 'rm -rf "$app"' EXIT

tarball="$(cd "$root" && npm pack --silent --pack-destination "$app" | tail -n 1)"
echo "package: packed $tarball ($(du -k "$app/$tarball" | cut -f1) KiB)"
cd "$app"
echo '{ "name": "blank-app", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install --silent --no-audit --no-fund "./$tarball"
test -z "$(ls node_modules | grep -v '^atomservices$' | grep -v '^\.')" || { echo "package: unexpected runtime dependencies" >&2; exit 1; }

cp "$root/tests/package/quickstart.mjs" "$root/tests/package/quickstart.cjs" .
node quickstart.mjs
node quickstart.cjs

# TypeScript, strict, as a Node ESM app (nodenext) and as a bundled app (bundler).
mkdir -p src
cp "$root"/tests/types/*.ts src/
tsc="$root/node_modules/.bin/tsc"
common=(--strict --target es2022 --lib es2022,dom)
"$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext --outDir out src/seed.ts src/typing.ts src/typing-node.ts src/typing-postgres.ts
"$tsc" "${common[@]}" --module esnext --moduleResolution bundler --noEmit src/seed.ts src/typing.ts src/typing-browser.ts
node out/seed.js

# Every README sample, strict, with verbatimModuleSyntax; the PostgreSQL one needs pg.
npm install --silent --no-audit --no-fund --no-save pg
node "$root/tests/package/readme-samples.mjs" "$root/README.md" "$app" "$tsc" "$root/node_modules/@types"
echo "package: 3 runs, 2 strict type checks and the README samples passed"
