"""`components/` served to every Pulumi language: the schema the SDK's component analyzer infers.

`pulumi package add ./components` runs `components/__main__.py`, which hands the public
components to `component_provider_host`; the host's `ComponentProvider` analyzes their type
annotations (`pulumi.provider.experimental.analyzer.Analyzer`) and docstrings into a package
schema, from which Pulumi generates an SDK for the consumer's language. This test builds the
very same provider object (without serving it) and checks that every public component has
typed, documented inputs and outputs.
"""

from __future__ import annotations

import importlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ("EntraAccess", "FlexibleServer", "DatabaseAccess")


def entry_point() -> Any:
    return importlib.import_module("entra_pg.components.__main__")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    main = entry_point()
    try:
        provider = ComponentProvider(main.components(), main.PACKAGE, version=main.version())
    except AttributeError as error:
        # `inspect.get_annotations(Component.__init__)` returns the string "XxxArgs" when the
        # module has `from __future__ import annotations`; the analyzer needs real classes.
        pytest.fail(
            "the component analyzer cannot read the components' annotations "
            f"({error}): remove `from __future__ import annotations` from the modules under "
            "components/ that define components and their Args TypedDicts"
        )
    assert provider.schema is not None
    data: dict[str, Any] = json.loads(provider.schema)
    return data


def properties(schema: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(where, name, property) for every property of every component and type."""
    for token, resource in schema["resources"].items():
        for kind in ("inputProperties", "properties"):
            for name, prop in resource.get(kind, {}).items():
                yield f"{token}.{kind}", name, prop
    for token, type_ in schema["types"].items():
        for name, prop in type_.get("properties", {}).items():
            yield token, name, prop


def test_plugin_manifest_and_entry_point() -> None:
    manifest = yaml.safe_load((ROOT / "components" / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    # Pulumi resolves `virtualenv` against the plugin directory (sdk/python/toolchain/pip.go,
    # resolveVirtualEnvironmentPath): the repository's .venv, the one scripts/setup creates.
    venv = (ROOT / "components" / manifest["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == ROOT / ".venv"
    assert "-m venv .venv" in (ROOT / "scripts" / "setup").read_text()
    main = entry_point()
    assert main._import_root(ROOT / "components" / "__main__.py") == ROOT
    # Importing the entry point must not start the host (the test would block otherwise).
    assert main.PACKAGE == "entrapg"
    assert [c.__name__ for c in main.components()] == list(PUBLIC)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert main.version() == pyproject["project"]["version"]


def test_plugin_requirements_install_this_repository() -> None:
    """Where Pulumi builds the plugin's virtualenv itself (a git URL), it runs
    `pip install -r requirements.txt` in the plugin directory (sdk/python/toolchain/pip.go,
    InstallDependencies): the lines must install this project, with the components' deps."""
    lines = [
        line.strip()
        for line in (ROOT / "components" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == ["-e .."]
    target = (ROOT / "components" / "..").resolve()
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["name"] == "entra-postgres"
    assert any(dep.startswith("pulumi-postgresql") for dep in project["dependencies"])


def test_every_public_component_is_in_the_schema(schema: dict[str, Any]) -> None:
    assert schema["name"] == "entrapg"
    assert schema["version"] == entry_point().version()
    assert set(schema["resources"]) == {f"entrapg:index:{name}" for name in PUBLIC}
    for token, resource in schema["resources"].items():
        assert resource["isComponent"] is True, token
        assert resource.get("description", "").strip(), token
        assert resource["inputProperties"], token
        assert resource["properties"], f"{token} has no outputs"


def test_every_property_is_typed_and_documented(schema: dict[str, Any]) -> None:
    problems = []
    for where, name, prop in properties(schema):
        if not str(prop.get("description", "")).strip():
            problems.append(f"{where}.{name}: no description")
        if "type" not in prop and "$ref" not in prop:
            problems.append(f"{where}.{name}: no type")
        if prop.get("$ref") == "pulumi.json#/Any" or (
            prop.get("type") == "object" and not (prop.get("additionalProperties"))
        ):
            problems.append(f"{where}.{name}: untyped")
    assert problems == []


def test_every_referenced_type_is_defined_and_documented(schema: dict[str, Any]) -> None:
    refs = set()
    for _, _, prop in properties(schema):
        for candidate in (prop, prop.get("items", {}), prop.get("additionalProperties", {})):
            ref = candidate.get("$ref", "") if isinstance(candidate, Mapping) else ""
            if ref.startswith("#/types/"):
                refs.add(ref.removeprefix("#/types/"))
    assert refs <= set(schema["types"])
    for token, type_ in schema["types"].items():
        assert type_.get("description", "").strip(), token
        assert type_["type"] == "object", token


def test_required_inputs_follow_the_typed_dicts(schema: dict[str, Any]) -> None:
    access = schema["resources"]["entrapg:index:DatabaseAccess"]
    assert set(access["requiredInputs"]) == {"connection", "databases", "principals"}
    server = schema["resources"]["entrapg:index:FlexibleServer"]
    assert {"serverName", "resourceGroupName", "tenantId"} <= set(server["requiredInputs"])
    assert "publicNetworkAccess" not in server["requiredInputs"]
    connection = schema["types"]["entrapg:index:ConnectionArgs"]
    assert set(connection["required"]) == {"host", "username"}
