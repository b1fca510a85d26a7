#!/usr/bin/env bash
# The web demo (web-demo/): a shared ledger of accounts on atomservices, in the browser,
# its events in IndexedDB. Installs what is missing (the package's dist/ when it was never
# built, the demo's npm dependencies), builds the demo with Vite and serves it.
#
#   scripts/demo.sh          build, then serve the build on http://127.0.0.1:5173/ (vite preview)
#   scripts/demo.sh build    build only (web-demo/dist/)
#   scripts/demo.sh dev      the Vite dev server instead (hot reload), same address
#
# DEMO_PORT changes the port (default 5173).
set -euo pipefail
cd "$(dirname "$0")/.."

host=127.0.0.1
port="${DEMO_PORT:-5173}"
mode="${1:-serve}"
case "$mode" in
  serve | build | dev) ;;
  *) echo "usage: scripts/demo.sh [serve|build|dev]" >&2; exit 2 ;;
esac

if [[ ! -f dist/esm/browser.js || ! -f dist/wasm/atomservices.wasm ]]; then
  echo "demo: the package is not built yet; building it"
  bash scripts/setup.sh
  bash scripts/build.sh
fi

cd web-demo
if [[ ! -x node_modules/.bin/vite || ! -e node_modules/atomservices ]]; then
  echo "demo: installing the demo's npm dependencies"
  # npm ci installs exactly the lockfile; npm install when the lockfile no longer matches.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
fi

vite=node_modules/.bin/vite
if [[ "$mode" == dev ]]; then
  echo "demo: dev server on http://$host:$port/ (Ctrl-C stops it)"
  exec "$vite" --host "$host" --port "$port" --strictPort
fi

"$vite" build --logLevel warn
echo "demo: built web-demo/dist/"
[[ "$mode" == build ]] && exit 0
echo "demo: open http://$host:$port/ (Ctrl-C stops the server)"
exec "$vite" preview --host "$host" --port "$port" --strictPort
