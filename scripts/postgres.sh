#!/usr/bin/env bash
# Makes a PostgreSQL server available on 127.0.0.1 for the PostgreSQL store's tests:
# installs Debian's postgresql when missing, starts its cluster, and creates a role and a
# database. Prints the connection string. Needs root (or sudo), as on CI.
set -euo pipefail
# Everything but the connection string goes to stderr: server tools print notices on stdout,
# and a server started here must not inherit the pipe the caller reads the URL from.
start_server() {
  sudo_cmd=""
  [[ $(id -u) == 0 ]] || sudo_cmd="sudo"
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
  fi
  read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || true
  if [[ -z "${version:-}" ]]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    $sudo_cmd pg_createcluster "$version" main >/dev/null
    read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || true
  fi
  if [[ "$status" != online* ]]; then
    $sudo_cmd pg_ctlcluster "$version" "$cluster" start
  fi
  as_postgres() { $sudo_cmd runuser -u postgres -- "$@"; }
  for _ in $(seq 50); do as_postgres psql -p "$port" -qAtc 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  as_postgres psql -p "$port" -qAtc "select 1 from pg_roles where rolname = 'atomservices'" | grep -q 1 ||
    as_postgres psql -p "$port" -qc "create role atomservices login password 'atomservices' createdb" >/dev/null
  as_postgres psql -p "$port" -qAtc "select 1 from pg_database where datname = 'atomservices_test'" | grep -q 1 ||
    as_postgres createdb -p "$port" -O atomservices atomservices_test
}
start_server >&2
if [[ ! "${port:-}" =~ ^[0-9]+$ ]]; then
  echo "postgres: no running cluster found (pg_lsclusters says: $(pg_lsclusters --no-header | head -n 1))" >&2
  exit 1
fi
url="postgres://atomservices:atomservices@127.0.0.1:$port/atomservices_test"
echo "postgres: server ready at $url" >&2
echo "$url"
