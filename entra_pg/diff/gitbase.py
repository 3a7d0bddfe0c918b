"""The base revision's files, taken from git without touching the working tree or the index.

`git archive <commit>` streams the committed tree; it is unpacked into a temporary directory
that is removed afterwards. Nothing is written to the repository (no worktree, no checkout,
no stash), so uncommitted work is never at risk.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BaseRevision", "BaseRevisionError", "base_revision"]

_GIT_TIMEOUT = 120.0


class BaseRevisionError(Exception):
    """The base revision cannot be had: no git, not a repository, or an unknown ref."""


@dataclass(frozen=True)
class BaseRevision:
    """The base revision unpacked in a temporary directory.

    Attributes:
        ref: the ref as given.
        commit: the full commit id it resolves to.
        project_dir: the project directory inside the unpacked tree (the same relative path
            as the working tree's project directory).
    """

    ref: str
    commit: str
    project_dir: Path

    @property
    def label(self) -> str:
        """`ref (abcdef1)`."""
        return f"{self.ref} ({self.commit[:7]})"


def _git(repo: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise BaseRevisionError("git is not installed (needed to read the base revision)")
    try:
        return subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            [git, "-C", str(repo), *args],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise BaseRevisionError(f"git {args[0]} did not finish within {_GIT_TIMEOUT:g}s") from None


def _out(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode("utf-8", errors="replace").strip()


def _err(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode("utf-8", errors="replace").strip()


def resolve(project_dir: Path, ref: str) -> tuple[Path, str, str]:
    """(repository top level, project dir relative to it, full commit id of `ref`)."""
    if not ref or ref.startswith("-"):
        raise BaseRevisionError(f"{ref!r} is not a git ref")
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaseRevisionError(
            f"{project_dir} is not inside a git repository ({_err(top) or 'git rev-parse failed'})"
        )
    prefix = _git(project_dir, "rev-parse", "--show-prefix")
    commit = _git(
        project_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
    )
    if commit.returncode != 0 or not _out(commit):
        hint = (
            " (in a shallow clone, fetch the base branch first: "
            "actions/checkout with fetch-depth: 0)"
            if _out(_git(project_dir, "rev-parse", "--is-shallow-repository")) == "true"
            else ""
        )
        raise BaseRevisionError(f"unknown git ref {ref!r}: it names no commit{hint}")
    return Path(_out(top)), _out(prefix), _out(commit)


@contextmanager
def base_revision(project_dir: Path, ref: str) -> Iterator[BaseRevision]:
    """Unpack the tree of `ref` into a temporary directory for the duration of the block.

    Raises `BaseRevisionError` for a missing git, a directory outside a repository, an
    unknown ref, or a revision without the project directory.
    """
    top, prefix, commit = resolve(project_dir.resolve(), ref)
    archive = _git(top, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        raise BaseRevisionError(f"git archive {commit[:12]} failed: {_err(archive)}")
    with tempfile.TemporaryDirectory(prefix="entra-pg-base-") as tmp:
        root = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
            # The "data" filter refuses absolute paths, links out of the tree and devices.
            tar.extractall(root, filter="data")
        project = root / prefix if prefix else root
        if not (project / "Pulumi.yaml").is_file():
            raise BaseRevisionError(
                f"the base revision {ref} ({commit[:7]}) has no Pulumi project at "
                f"{prefix or '.'} (no Pulumi.yaml)"
            )
        yield BaseRevision(ref=ref, commit=commit, project_dir=project)
