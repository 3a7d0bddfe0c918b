#!/usr/bin/env bash
# Ensure PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, then print the
# directory that holds them on stdout (and nothing else there), e.g.:
#
#     PG_BINDIR="$(bash tests/support/ensure_postgres.sh)" && export PG_BINDIR
#
# Idempotent: when the binaries are already there (PG_BINDIR, or Debian's
# /usr/lib/postgresql/<major>/bin, highest major first) it installs nothing. Otherwise, as
# root, it installs Debian's `postgresql` package (apt output goes to stderr). The tests start
# their own throwaway cluster (tests/support/pgcluster.py); no system cluster is needed.
set -euo pipefail

has_server_binaries() {
    [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]
}

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]] && has_server_binaries "$PG_BINDIR"; then
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    local dir
    # Highest major version first (sort -V: 17 after 15, 9.6 before 10).
    while IFS= read -r dir; do
        if has_server_binaries "$dir"; then
            printf '%s\n' "$dir"
            return 0
        fi
    done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null \
        | sort -V -r)
    return 1
}

if bindir="$(find_bindir)"; then
    printf '%s\n' "$bindir"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure_postgres.sh: PostgreSQL server binaries not found and not root:" \
        "install them with 'apt-get install -y postgresql-15' (or set PG_BINDIR)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure_postgres.sh: installing PostgreSQL server (Debian package 'postgresql')" >&2
apt-get update >&2
apt-get install -y postgresql >&2

if bindir="$(find_bindir)"; then
    printf '%s\n' "$bindir"
    exit 0
fi
echo "ensure_postgres.sh: 'apt-get install postgresql' finished but initdb/pg_ctl/postgres" \
    "are still not under /usr/lib/postgresql/*/bin" >&2
exit 1
