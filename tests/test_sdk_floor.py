"""The Pulumi SDK floor: the installed SDK has the signatures the code calls, and the lowest
version `pyproject.toml` and `policies/requirements.txt` admit is one that has them.

`components/__main__.py` calls `component_provider_host(components, name=..., version=...)`.
The `version` parameter first shipped in pulumi 3.211.0 (pulumi/pulumi#21149, commit
67d475ca8b, in tag v3.211.0; v3.210.0's `sdk/python/lib/pulumi/provider/experimental/host.py`
has only `components, name, namespace`): with an older SDK `pulumi package add` would fail
with a TypeError.
"""

from __future__ import annotations

import inspect
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider

ROOT = Path(__file__).resolve().parents[1]

# The first pulumi release with every signature below (see the module docstring).
FIRST_RELEASE_WITH_VERSION = Version("3.211.0")


def floor(requirement: str) -> Version:
    """The lowest version a requirement admits (its `>=` bound)."""
    bounds = [Version(s.version) for s in Requirement(requirement).specifier if s.operator == ">="]
    assert bounds, f"{requirement!r} has no lower bound"
    return max(bounds)


def pulumi_requirement(lines: list[str]) -> str:
    (found,) = [line for line in lines if Requirement(line).name == "pulumi"]
    return found


def pyproject_requirement() -> str:
    deps: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    return pulumi_requirement(deps)


def policy_pack_requirement() -> str:
    text = (ROOT / "policies" / "requirements.txt").read_text()
    lines = [line.strip() for line in text.splitlines()]
    return pulumi_requirement([line for line in lines if line and not line.startswith("#")])


@pytest.mark.parametrize(
    ("function", "parameter"),
    [(component_provider_host, "version"), (ComponentProvider.__init__, "version")],
)
def test_installed_sdk_takes_the_arguments_the_code_passes(function: Any, parameter: str) -> None:
    assert parameter in inspect.signature(function).parameters


def test_entry_point_passes_version_by_keyword() -> None:
    source = (ROOT / "components" / "__main__.py").read_text()
    assert "component_provider_host(components(), name=PACKAGE, version=version())" in source


@pytest.mark.parametrize("source", ["pyproject.toml", "policies/requirements.txt"])
def test_floor_is_a_release_with_those_signatures(source: str) -> None:
    requirement = (
        pyproject_requirement() if source == "pyproject.toml" else policy_pack_requirement()
    )
    assert floor(requirement) >= FIRST_RELEASE_WITH_VERSION, (
        f"{source}: {requirement!r} admits pulumi {floor(requirement)}, whose "
        "component_provider_host has no `version` parameter; raise the floor to "
        f">={FIRST_RELEASE_WITH_VERSION}"
    )


def test_installed_sdk_satisfies_the_floor() -> None:
    installed = Version(metadata.version("pulumi"))
    assert Requirement(pyproject_requirement()).specifier.contains(installed)
    assert Requirement(policy_pack_requirement()).specifier.contains(installed)
