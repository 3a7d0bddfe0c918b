#!/usr/bin/env bash
# Ensure pgaudit is installed for Debian's PostgreSQL 15 (tests/pg/test_pgaudit.py loads it
# with shared_preload_libraries, as the audit trail does on Azure). Idempotent: installs
# Debian's `postgresql-15-pgaudit` only when its library is missing (root needed then).
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/lib/pgaudit.so" >/dev/null; then
    exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure_pgaudit.sh: pgaudit not found and not root:" \
        "install it with 'apt-get install -y postgresql-15-pgaudit'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure_pgaudit.sh: installing Debian package 'postgresql-15-pgaudit'" >&2
apt-get install -y postgresql-15-pgaudit >&2 || { apt-get update >&2 && apt-get install -y postgresql-15-pgaudit >&2; }
compgen -G "/usr/lib/postgresql/*/lib/pgaudit.so" >/dev/null || {
    echo "ensure_pgaudit.sh: postgresql-15-pgaudit installed but pgaudit.so is missing" >&2
    exit 1
}
