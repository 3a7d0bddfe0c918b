"""How the audit reaches the server: a libpq DSN, or an Entra token for Azure.

Contract:
- Neither connector ever prints, logs or returns a password or token. `describe()` gives
  the connection without its secret (safe to echo) and `redact(text)` removes the secret
  from any text (e.g. a driver error) before it is shown.
- `DsnConnector`: any libpq connection string or URL; the password may come from the DSN,
  `PGPASSWORD` or `~/.pgpass` (libpq's own rules). `connect(name)` switches the database.
- `EntraConnector`: Azure Database for PostgreSQL with Microsoft Entra authentication. The
  token comes from azure-identity's `DefaultAzureCredential` (environment, workload
  identity, managed identity, Azure CLI, ...) for the scope `ENTRA_SCOPE`; the user is the
  Entra admin group's display name; TLS is required. azure-identity is imported only here,
  lazily, so the rest of entra-pg works without it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg
from psycopg import conninfo

__all__ = [
    "APPLICATION_NAME",
    "AZURE_POSTGRES_SUFFIX",
    "ENTRA_SCOPE",
    "ConnectionSetupError",
    "DsnConnector",
    "EntraConnector",
    "scrub_dsn",
]

ENTRA_SCOPE: Final = "https://ossrdbms-aad.database.windows.net/.default"
AZURE_POSTGRES_SUFFIX: Final = "postgres.database.azure.com"
APPLICATION_NAME: Final = "entra-pg-audit"
_CONNECT_TIMEOUT_S: Final = "15"
_SECRET_KEYS: Final = ("password", "sslpassword")
_HIDDEN: Final = "***"


class ConnectionSetupError(Exception):
    """The connection cannot even be attempted: a malformed DSN, azure-identity missing, or
    no token. The message is safe to print (no secret in it)."""


def scrub_dsn(dsn: str) -> str:
    """`dsn` as a key=value string without its password (safe to print).

    Raises:
        ConnectionSetupError: `dsn` is not a valid connection string or URL. The driver's
            message is not repeated: for a malformed string it may quote the password.
    """
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise ConnectionSetupError(
            "--dsn is not a valid libpq connection string or URL "
            "(e.g. 'host=db.example.com dbname=postgres user=auditor' or "
            "'postgresql://auditor@db.example.com/postgres')"
        ) from None
    shown = {k: (_HIDDEN if k in _SECRET_KEYS else v) for k, v in params.items() if v is not None}
    return conninfo.make_conninfo(**{k: str(v) for k, v in shown.items()})


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _HIDDEN)
    return text


@dataclass
class DsnConnector:
    """Connects with a libpq DSN; `connect(name)` overrides its `dbname`."""

    dsn: str
    _secrets: tuple[str, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        scrub_dsn(self.dsn)  # validate early, without echoing
        params = conninfo.conninfo_to_dict(self.dsn)
        self._secrets = tuple(str(params[k]) for k in _SECRET_KEYS if params.get(k))

    def connect(self, dbname: str | None) -> psycopg.Connection[tuple[Any, ...]]:
        """A new connection to `dbname` (None: the DSN's own database)."""
        overrides: dict[str, Any] = {"application_name": APPLICATION_NAME}
        params = conninfo.conninfo_to_dict(self.dsn)
        if "connect_timeout" not in params:
            overrides["connect_timeout"] = _CONNECT_TIMEOUT_S
        if dbname is not None:
            overrides["dbname"] = dbname
        return psycopg.connect(conninfo.make_conninfo(self.dsn, **overrides))

    def describe(self) -> str:
        """The DSN without its password."""
        return scrub_dsn(self.dsn)

    def redact(self, text: str) -> str:
        """`text` with the DSN's password replaced by `***`."""
        return _redact(text, self._secrets)


TokenProvider = Callable[[], str]


@contextlib.contextmanager
def _quiet_azure_logs(verbose: bool) -> Iterator[None]:
    """Hide azure-identity's multi-line log of every credential it tried (unless verbose):
    the error raised says the same in one line."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(name) for name in ("azure.identity", "azure.core")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _default_credential_token(verbose: bool = False) -> str:
    """An access token for `ENTRA_SCOPE` from azure-identity's DefaultAzureCredential.

    `verbose` lets azure-identity log why each credential it tried failed.
    """
    try:
        identity = importlib.import_module("azure.identity")
    except ImportError:
        raise ConnectionSetupError(
            "--entra needs the azure-identity package: pip install 'entra-postgres[entra]' "
            "(or pip install azure-identity)"
        ) from None
    credential = identity.DefaultAzureCredential()
    try:
        with _quiet_azure_logs(verbose):
            token = credential.get_token(ENTRA_SCOPE)
    except Exception as exc:  # azure-identity raises several unrelated types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionSetupError(
            f"could not get an Entra token for {ENTRA_SCOPE}: {first_line} "
            "(log in first: `az login`, or azure/login with OIDC in a pipeline; "
            "--debug shows why each credential failed)"
        ) from None
    finally:
        close = getattr(credential, "close", None)
        if callable(close):
            close()
    return str(token.token)


@dataclass
class EntraConnector:
    """Connects to an Azure Flexible Server as its Entra admin group, with a token.

    Attributes:
        host: the server's FQDN (`<server>.postgres.database.azure.com`).
        user: the Entra admin group's display name (its members log in with it).
        port: 5432 (the direct port; PgBouncer on 6432 would need its own setup).
        maintenance_db: the database of the cluster-wide read.
        token_provider: returns an access token (default: DefaultAzureCredential); called
            once, the token is reused for every database (it is valid for minutes).
        verbose: let azure-identity log why each credential failed (`--debug`).
    """

    host: str
    user: str
    port: int = 5432
    maintenance_db: str = "postgres"
    token_provider: TokenProvider | None = None
    verbose: bool = False
    _token: str | None = field(default=None, init=False, repr=False)

    @classmethod
    def for_server(
        cls, server_name: str, admin_group: str, *, verbose: bool = False
    ) -> EntraConnector:
        """The connector for Flexible Server `server_name` (its public or private FQDN)."""
        return cls(host=f"{server_name}.{AZURE_POSTGRES_SUFFIX}", user=admin_group, verbose=verbose)

    def _access_token(self) -> str:
        if self._token is None:
            if self.token_provider is not None:
                self._token = self.token_provider()
            else:
                self._token = _default_credential_token(self.verbose)
        return self._token

    def connect(self, dbname: str | None) -> psycopg.Connection[tuple[Any, ...]]:
        """A new TLS connection authenticated with the Entra token."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=dbname or self.maintenance_db,
            user=self.user,
            password=self._access_token(),
            sslmode="require",
            connect_timeout=_CONNECT_TIMEOUT_S,
            application_name=APPLICATION_NAME,
        )

    def describe(self) -> str:
        """Host, user and auth method (never the token)."""
        return (
            f"host={self.host} port={self.port} user={self.user} sslmode=require "
            "(Entra token from DefaultAzureCredential)"
        )

    def redact(self, text: str) -> str:
        """`text` with the token replaced by `***`."""
        return _redact(text, (self._token,) if self._token else ())
