#!/usr/bin/env bash
# Set up the peer of the audit benchmark: ldap2pg 5.9 from PyPI in its own virtualenv
# (benchmarks/.venv-ldap2pg), never in the project's test dependencies. Its python-ldap
# dependency builds against Debian's libldap2-dev and libsasl2-dev; GNU time measures
# peak memory. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

if ! dpkg -s libldap2-dev libsasl2-dev time >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libldap2-dev libsasl2-dev time >/dev/null
  else
    echo "audit_setup: install libldap2-dev, libsasl2-dev and time (Debian) first" >&2
    exit 1
  fi
fi
python="${PYTHON:-python3}"
if ! .venv-ldap2pg/bin/python -c "import ldap2pg, psycopg2" 2>/dev/null; then
  "$python" -m venv .venv-ldap2pg
  # ldap2pg imports psycopg2 without declaring it: the binary wheel needs no libpq-dev.
  .venv-ldap2pg/bin/python -m pip install --quiet --disable-pip-version-check 'ldap2pg==5.9' psycopg2-binary
fi
.venv-ldap2pg/bin/ldap2pg --version
