"""Real-PostgreSQL fixtures for tests/pg: `pg_cluster` (session) and `pg_db` (per test).

They live in tests/support/pgcluster.py so that tests/conftest.py can export them to the
whole suite later; importing them here is what makes pytest see them in this directory.
"""

from tests.support.pgcluster import pg_cluster, pg_db

__all__ = ["pg_cluster", "pg_db"]
