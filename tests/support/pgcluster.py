"""A throwaway PostgreSQL cluster for tests, started from the distribution's server binaries.

Contract:
- `start_cluster()` runs `initdb` into a fresh temporary directory, starts the server on a free
  TCP port of 127.0.0.1 (and a unix socket inside that directory), waits until it accepts
  connections and returns a `PgCluster`. `PgCluster.stop()` stops it (immediate mode: its
  data is worthless) and removes the directory. Trust authentication: any role with LOGIN can
  connect without a password, and the superuser is `bootstrap` (`SUPERUSER_NAME`).
- The server refuses to run as root, so when the tests run as root the cluster belongs to an
  unprivileged OS user (`postgres`, or `$PG_OS_USER`) and every server command runs through
  `runuser` (or `setpriv`). As any other user it runs as that user.
- Binaries: `start_cluster(bindir)` (tests/support/pgservers.py finds PostgreSQL 15 and 18);
  without one, `$PG_BINDIR`, else the highest `/usr/lib/postgresql/<major>/bin` (Debian's
  layout), else `pg_config --bindir`. Missing binaries are an error, never a skip: CI
  installs PostgreSQL (tests/support/ensure_postgres.sh), so a machine without it must fail
  loudly.
- The directory goes on /dev/shm when that is a RAM disk with room (much faster database
  creation), else in the default temporary directory; `$PG_TEST_TMPDIR` overrides both.
- `snapshot_names` / `cleanup_since` drop every database and role created after a snapshot
  (the per-test cleanup of tests/support/azurepg.py).

The fixtures the tests use (Azure-like servers on PostgreSQL 15 and 18, as the non-superuser
admin) are in tests/support/azurepg.py.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tests.support.pgservers import PostgresUnavailableError

__all__ = [
    "INSTALL_HINT",
    "SUPERUSER_NAME",
    "PgCluster",
    "PostgresUnavailableError",
    "cleanup_since",
    "find_bindir",
    "snapshot_names",
    "start_cluster",
]

#: Name of the cluster's bootstrap superuser. On Azure the provider connects as the Entra
#: admin (a member of azure_pg_admin, not a superuser); here this superuser stands in for it.
SUPERUSER_NAME = "bootstrap"

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them: "
    "`apt-get install -y postgresql-15` (or `bash tests/support/ensure_postgres.sh`, which "
    "installs Debian's `postgresql`), or point PG_BINDIR at the directory holding initdb."
)

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_START_ATTEMPTS = 5
_COMMAND_TIMEOUT_S = 120


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in _REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<major>/bin: sort numerically so 15 beats 9.6 and 17 beats 15.
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path:
    """The directory holding `initdb`, `pg_ctl` and `postgres`.

    Order: `$PG_BINDIR` (must be complete, or it is an error: an explicit setting that is
    wrong should not silently fall back), the highest `/usr/lib/postgresql/*/bin`, then
    `pg_config --bindir`. Raises `PostgresUnavailableError` with `INSTALL_HINT` otherwise.
    """
    explicit = os.environ.get("PG_BINDIR")
    if explicit:
        bindir = Path(explicit)
        if _has_server_binaries(bindir):
            return bindir
        raise PostgresUnavailableError(
            f"PG_BINDIR={explicit!r} does not hold {', '.join(_REQUIRED_BINARIES)}. " + INSTALL_HINT
        )
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if _has_server_binaries(bindir):
            return bindir
    pg_config = shutil.which("pg_config")
    if pg_config:
        # Debian's /usr/bin/pg_config (libpq-dev) names /usr/bin, which has no initdb: the
        # completeness check below rejects it rather than failing later with a worse message.
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and _has_server_binaries(bindir):
            return bindir
    raise PostgresUnavailableError(INSTALL_HINT)


_MIN_RAM_DISK_FREE = 1 << 30


def _scratch_parent() -> str | None:
    """Where to put the cluster: `$PG_TEST_TMPDIR`, else /dev/shm when it is a roomy RAM
    disk, else the default temporary directory (None).

    On a RAM disk CREATE DATABASE (a copy of ~300 files) takes ~0.05 s instead of ~0.4 s on
    an overlay filesystem, which is most of a per-test database's cost. Docker's default
    64 MB /dev/shm is too small for a cluster, hence the free-space check.
    """
    explicit = os.environ.get("PG_TEST_TMPDIR")
    if explicit:
        return explicit
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    roomy = stats.f_bavail * stats.f_frsize >= _MIN_RAM_DISK_FREE
    return shm if roomy and os.access(shm, os.W_OK | os.X_OK) else None


def _free_port() -> int:
    # Ask the kernel for a free port. Another process could take it before the server binds
    # it; start_cluster retries with a new port when the server reports the address in use.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class _OsUser:
    """The OS account that owns the cluster files and runs the server."""

    name: str
    uid: int
    gid: int
    needs_switch: bool  # True when we run as root and must drop privileges

    @classmethod
    def choose(cls) -> _OsUser:
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, needs_switch=False)
        name = os.environ.get("PG_OS_USER", "postgres")
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise PostgresUnavailableError(
                f"running as root, but the unprivileged OS user {name!r} that must own the "
                "test cluster does not exist (PostgreSQL refuses to run as root). Installing "
                "Debian's postgresql package creates it; or set PG_OS_USER to another user."
            ) from None
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, needs_switch=True)

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` prefixed so that it runs as this user."""
        if not self.needs_switch:
            return list(argv)
        if shutil.which("runuser"):
            return ["runuser", "-u", self.name, "--", *argv]
        if shutil.which("setpriv"):
            return [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.gid}",
                "--init-groups",
                "--",
                *argv,
            ]
        raise PostgresUnavailableError(
            "running as root but neither runuser nor setpriv (util-linux) is available to "
            "run the PostgreSQL server as an unprivileged user"
        )


@dataclass
class PgCluster:
    """A running throwaway cluster.

    Attributes:
        bindir: the server binaries used.
        base_dir: the temporary directory holding everything (removed by `stop`).
        data_dir: the cluster's data directory.
        socket_dir: the unix socket directory (inside `base_dir`).
        log_file: the server log (read it when something fails).
        host: the TCP address the server listens on (127.0.0.1).
        port: the TCP port.
        superuser: the bootstrap superuser's name (`SUPERUSER_NAME`).
        os_user: the OS account that runs the server.
        server_version_num: e.g. 150008 (`SHOW server_version_num`).
    """

    bindir: Path
    base_dir: Path
    data_dir: Path
    socket_dir: Path
    log_file: Path
    host: str
    port: int
    superuser: str
    os_user: str
    server_version_num: int = 0
    _user: _OsUser | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def username(self) -> str:
        """Who `connect()` logs in as (the superuser): tests/support/pgapply/'s connector."""
        return self.superuser

    @property
    def major_version(self) -> int:
        """The server's major version (15 for 15.8)."""
        return self.server_version_num // 10000

    def dsn(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        """A libpq connection string (TCP, trust auth) for `dbname` as `user` (superuser)."""
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=str(self.port),
            user=user or self.superuser,
            dbname=dbname,
            connect_timeout="10",
            application_name="entra-pg-tests",
        )

    def connect(
        self,
        dbname: str = "postgres",
        role: str | None = None,
        *,
        login: bool = False,
        autocommit: bool = True,
    ) -> psycopg.Connection[tuple[Any, ...]]:
        """Open a connection to `dbname`; the caller closes it (use it in a `with`).

        - `role=None`: connected as the superuser.
        - `role="x"` (default): connected as the superuser, then `SET ROLE "x"`, so every
          privilege check is made for `x` (works for NOLOGIN roles too; the database CONNECT
          privilege is not checked, it is only checked at login).
        - `role="x", login=True`: logs in as `x` itself (needs LOGIN and CONNECT on the
          database, exactly like a real client).
        """
        if login:
            if role is None:
                raise ValueError("login=True needs a role to log in as")
            return psycopg.connect(self.dsn(dbname, user=role), autocommit=autocommit)
        conn = psycopg.connect(self.dsn(dbname), autocommit=autocommit)
        if role is not None:
            try:
                conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
                if not autocommit:
                    conn.commit()  # keep SET ROLE out of the caller's first transaction
            except BaseException:
                conn.close()
                raise
        return conn

    def query(
        self,
        statement: str | sql.SQL | sql.Composed,
        params: Sequence[Any] | None = None,
        *,
        dbname: str = "postgres",
        role: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run one statement (autocommit) and return its rows ([] when it returns none)."""
        with self.connect(dbname, role) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self._user is not None
        argv = self._user.command([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), *args])
        return _run(argv, cwd=self.base_dir, check=check)

    def restart(self) -> None:
        """Restart the server (fast shutdown), e.g. after `ALTER SYSTEM` of a static
        parameter such as `shared_preload_libraries`; waits until it accepts connections."""
        self._pg_ctl("-l", str(self.log_file), "-w", "-t", "60", "-m", "fast", "restart")
        _wait_ready(self)

    def stop(self) -> None:
        """Stop the server (immediate: no checkpoint, the data is thrown away) and delete
        the directory. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop", check=False)
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run(argv: Sequence[str], *, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    # LC_ALL=C: server messages in English whatever the machine's locale, so failures read
    # the same everywhere. cwd inside the cluster directory: the unprivileged user may not be
    # able to enter the caller's working directory.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    for var in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"):
        env.pop(var, None)
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=_COMMAND_TIMEOUT_S,
    )
    if check and result.returncode != 0:
        raise PostgresUnavailableError(
            f"command failed ({result.returncode}): {' '.join(argv)}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def _server_settings(port: int, socket_dir: Path, extra: Mapping[str, str]) -> str:
    # Durability is worthless for a throwaway cluster: turning it off makes DDL-heavy tests
    # several times faster. Autovacuum and JIT only add noise and start-up cost.
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{socket_dir}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "autovacuum": "off",
        "jit": "off",
        "max_connections": "50",
        "shared_buffers": "32MB",
        "max_wal_size": "256MB",
        "timezone": "'UTC'",
        "lc_messages": "'C'",
        "log_min_messages": "warning",
        "log_min_error_statement": "panic",
        **extra,
    }
    lines = [f"{key} = {value}" for key, value in settings.items()]
    return "\n# entra-pg test settings\n" + "\n".join(lines) + "\n"


def start_cluster(
    bindir: Path | None = None,
    *,
    superuser: str = SUPERUSER_NAME,
    settings: Mapping[str, str] | None = None,
) -> PgCluster:
    """initdb + start a fresh cluster; see the module docstring for the contract.

    `superuser` names the bootstrap superuser (initdb -U); `settings` are extra
    postgresql.conf lines (values already in configuration-file syntax, e.g. quoted
    strings), such as `shared_preload_libraries`.

    Raises `PostgresUnavailableError` (with the server log) if anything fails; nothing is
    left running or on disk in that case.
    """
    bindir = bindir or find_bindir()
    user = _OsUser.choose()
    base_dir = Path(tempfile.mkdtemp(prefix="entra-pg-", dir=_scratch_parent()))
    try:
        if user.needs_switch:
            os.chown(base_dir, user.uid, user.gid)
        os.chmod(base_dir, 0o700)
        data_dir = base_dir / "data"
        socket_dir = base_dir / "sock"
        log_file = base_dir / "server.log"
        socket_dir.mkdir(mode=0o700)
        if user.needs_switch:
            os.chown(socket_dir, user.uid, user.gid)
        _run(
            user.command(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                    "--no-instructions",
                ]
            ),
            cwd=base_dir,
        )
        conf = data_dir / "postgresql.conf"
        original_conf = conf.read_text()
        cluster = PgCluster(
            bindir=bindir,
            base_dir=base_dir,
            data_dir=data_dir,
            socket_dir=socket_dir,
            log_file=log_file,
            host="127.0.0.1",
            port=0,
            superuser=superuser,
            os_user=user.name,
            _user=user,
        )
        for attempt in itertools.count(1):
            cluster.port = _free_port()
            # Rewrite (not append) so a retry does not stack two `port` settings.
            conf.write_text(
                original_conf + _server_settings(cluster.port, socket_dir, settings or {})
            )
            result = cluster._pg_ctl("-l", str(log_file), "-w", "-t", "60", "start", check=False)
            if result.returncode == 0:
                break
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            if "already in use" in log and attempt < _START_ATTEMPTS:
                cluster._pg_ctl("-m", "immediate", "stop", check=False)
                continue
            raise PostgresUnavailableError(
                f"pg_ctl start failed ({result.returncode}).\nstdout:\n{result.stdout}\n"
                f"stderr:\n{result.stderr}\nserver log ({log_file}):\n{log[-4000:]}"
            )
        cluster.server_version_num = _wait_ready(cluster)
        return cluster
    except BaseException:
        # Leave nothing behind: a half-started server would hold the port and the directory.
        with contextlib.suppress(Exception):
            pg_ctl = bindir / "pg_ctl"
            if (base_dir / "data" / "postmaster.pid").exists():
                _run(
                    user.command(
                        [str(pg_ctl), "-D", str(base_dir / "data"), "-m", "immediate", "stop"]
                    ),
                    cwd=base_dir,
                    check=False,
                )
        shutil.rmtree(base_dir, ignore_errors=True)
        raise


def _wait_ready(cluster: PgCluster, timeout_s: float = 30.0) -> int:
    # pg_ctl -w already waited for the postmaster; a real connection proves TCP and auth
    # work and reads the version for version-dependent tests.
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
                row = conn.execute("SHOW server_version_num").fetchone()
                assert row is not None
                return int(row[0])
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.1)
    log = cluster.log_file.read_text(errors="replace") if cluster.log_file.exists() else ""
    raise PostgresUnavailableError(
        f"server did not accept connections within {timeout_s}s: {last_error}\n{log[-4000:]}"
    )


# --------------------------------------------------------------------------- cleanup


def _names(cluster: PgCluster, catalog_query: str) -> set[str]:
    return {row[0] for row in cluster.query(catalog_query)}


_DATABASES_SQL = "SELECT datname FROM pg_database"
_ROLES_SQL = "SELECT rolname FROM pg_roles"


def snapshot_names(cluster: PgCluster) -> tuple[set[str], set[str]]:
    """The database and role names that exist now (for `cleanup_since`)."""
    return _names(cluster, _DATABASES_SQL), _names(cluster, _ROLES_SQL)


def cleanup_since(cluster: PgCluster, snapshot: tuple[set[str], set[str]]) -> None:
    """Drop every database and role created since `snapshot` (as the superuser)."""
    _cleanup(cluster, *snapshot)


def _cleanup(cluster: PgCluster, databases_before: set[str], roles_before: set[str]) -> None:
    """Drop every database and role that appeared since the snapshot.

    Snapshots rather than bookkeeping: `apply()` creates databases and roles of its own, and a
    failing test may stop half-way; whatever appeared is removed all the same.
    """
    for name in sorted(_names(cluster, _DATABASES_SQL) - databases_before):
        cluster.query(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    new_roles = sorted(_names(cluster, _ROLES_SQL) - roles_before)
    if not new_roles:
        return
    # A role cannot be dropped while it owns objects or holds privileges in any database:
    # clear them in every remaining connectable database first (DROP OWNED also removes its
    # privileges on shared objects such as databases).
    survivors = [
        row[0]
        for row in cluster.query(
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
        )
    ]
    for dbname in survivors:
        with cluster.connect(dbname) as conn:
            for role in new_roles:
                conn.execute(
                    sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                        sql.Identifier(role), sql.Identifier(cluster.superuser)
                    )
                )
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    for role in new_roles:
        cluster.query(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
