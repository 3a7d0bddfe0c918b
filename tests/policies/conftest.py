"""Fixtures for the policy pack tests: one real pack process per session, driven over gRPC.

`pack` starts the pack once (through `entra_pg.policycheck`, exactly as a deployment would run
it); `client` hands it to a test with the pack's default config restored, so tests can
reconfigure freely without leaking into each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from entra_pg.policycheck import PolicyPackClient


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackClient]:
    client = PolicyPackClient(startup_timeout=30, rpc_timeout=30)
    client.start()
    yield client
    client.stop()


@pytest.fixture
def client(pack: PolicyPackClient) -> PolicyPackClient:
    pack.configure(None)
    return pack
