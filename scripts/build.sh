#!/usr/bin/env bash
# Builds the package into dist/: the WebAssembly core (one .wasm, a Node loader and a web
# loader) and the JS layer (CommonJS and ES module builds with typings). Incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Emscripten finds its JS tools (acorn) only through NODE_PATH.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
if [[ ! -f build/wasm/CMakeCache.txt ]]; then
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
fi
cmake --build build/wasm -j"$(nproc)" >/dev/null
if ! cmp -s build/wasm/node/atomservices.wasm build/wasm/web/atomservices.wasm; then
  echo "build: the Node and web builds produced different .wasm files" >&2
  exit 1
fi

node scripts/gen-errors.mjs
tsc=node_modules/.bin/tsc
"$tsc" -p tsconfig.cjs.json
"$tsc" -p tsconfig.esm.json

mkdir -p dist/wasm
cp build/wasm/node/atomservices.cjs build/wasm/web/atomservices.mjs build/wasm/web/atomservices.wasm dist/wasm/
echo '{ "type": "commonjs" }' > dist/cjs/package.json
echo '{ "type": "module" }' > dist/esm/package.json
# Node's `import` gets the CommonJS build through this wrapper, so one process never loads
# two copies of the core (and AtomServicesError stays one class).
# The names are listed, not `export *`, which would also export the CommonJS `__esModule` flag.
for entry in node postgres; do
  node -e '
    const entry = process.argv[1];
    const names = Object.keys(require(`./dist/cjs/${entry}.js`)).filter((name) => name !== "__esModule");
    console.log(`import entry from "./cjs/${entry}.js";\nexport const { ${names.join(", ")} } = entry;`);
  ' "$entry" > "dist/$entry.mjs"
done
echo "build: dist/ is ready"
