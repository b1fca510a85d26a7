#!/usr/bin/env bash
# Runs the test suites: native (Catch2 under CTest), node (node:test over the built
# package), postgres (the PostgreSQL store against a local server that
# scripts/postgres.sh installs and starts), package (npm pack + install in a blank app, JS
# and strict TypeScript), browser (headless Chromium) and demo (the web demo, end to end,
# in Chromium). With no argument, all of them.
# Expects a built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

native() {
  if [[ ! -f build/native/CMakeCache.txt ]]; then
    cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build build/native -j"$(nproc)" >/dev/null
  ctest --test-dir build/native -j"$(nproc)" --output-on-failure
}
# No test may hang CI: each gets at most five minutes.
node_tests() { node --test --test-timeout=300000 tests/node/; }
package() {
  # The README's PostgreSQL sample runs against the local server.
  ATOMSERVICES_PG_URL="${ATOMSERVICES_PG_URL:-$(bash scripts/postgres.sh)}" bash tests/package/run.sh
}
browser() { node --test --test-timeout=300000 tests/browser/; }
demo() { node --test --test-timeout=300000 tests/demo/; }
postgres() {
  ATOMSERVICES_PG_URL="$(bash scripts/postgres.sh)"
  export ATOMSERVICES_PG_URL
  node --test --test-timeout=300000 tests/postgres/
}

case "${1:-all}" in
  native) native ;;
  node) node_tests ;;
  package) package ;;
  browser) browser ;;
  postgres) postgres ;;
  demo) demo ;;
  all) native && node_tests && postgres && package && browser && demo ;;
  *) echo "usage: scripts/test.sh [native|node|postgres|package|browser|demo]" >&2; exit 2 ;;
esac
