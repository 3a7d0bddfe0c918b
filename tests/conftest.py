"""Fixtures shared by the whole suite (area-specific ones live beside their tests)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

# pulumi_postgresql 3.18 warns at import time that its `DefaultPrivileg` module is deprecated
# (it imports that module itself). The suite turns warnings into errors, so the package is
# imported once here with exactly that warning silenced; later imports hit the module cache.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message=r"postgresql\.DefaultPrivileg has been deprecated",
        category=DeprecationWarning,
    )
    import pulumi_postgresql  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository root: Pulumi.yaml, the stack files and __main__.py."""
    return PROJECT_ROOT
