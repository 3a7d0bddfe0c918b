"""Real-PostgreSQL fixtures for tests/pg: Azure-like servers on PostgreSQL 15 and 18.

`azure_pg` (session, ids `pg15`/`pg18`) and `azure_db` (per test) are defined in
tests/support/azurepg.py (see its docstring for the interface); importing them here is what
makes pytest see them in this directory. Every test that uses them runs on both versions.
"""

from tests.support.azurepg import azure_db, azure_pg

__all__ = ["azure_db", "azure_pg"]
