"""Reader of `local`: the PostgreSQL the `local` target points at."""

from __future__ import annotations

from .reader import Reader
from .spec import LOCAL
from .types import LocalConfig

__all__ = ["read_local"]


def read_local(r: Reader, path: str, raw: object) -> LocalConfig:
    """The local connection; its defaults (from `spec.LOCAL`) when absent or unusable."""
    if raw is None:
        return LocalConfig()
    m = r.section(path, raw, LOCAL)
    if m is None:
        return LocalConfig()
    values = {f.key: r.field(path, m, f) for f in LOCAL.fields}
    return LocalConfig(
        host=values["host"],
        port=values["port"],
        username=values["username"],
        database=values["database"],
        sslmode=values["sslmode"],
    )
