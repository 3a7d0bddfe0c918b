"""The stack-config JSON Schema and Pulumi.yaml's typed declarations, from one source.

Both are generated from `entra_pg.model.config.spec`; these tests keep the committed files
equal to what the generator makes, validate the example stacks with a real JSON Schema
validator (jsonschema), show that misspelt keys and wrong types fail, and hold Pulumi.yaml
against Pulumi's own published project schema (tests/data/README.md names its source).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from entra_pg.model import parse_stack_config
from entra_pg.model.config.kinds import Field, Obj, Section
from entra_pg.model.config.spec import STACK
from entra_pg.model.schema import SCHEMA_PATH, pulumi_declarations, stack_config_schema
from entra_pg.stack import load_stack

ROOT = Path(__file__).resolve().parents[1]
PROJECT_SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"


def _stack(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())
    return data


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / SCHEMA_PATH).read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_published_schema_is_the_generated_one():
    committed = json.loads((ROOT / SCHEMA_PATH).read_text())
    assert committed == stack_config_schema(), (
        "regenerate it: python -m entra_pg.model.schema > schema/stack-config.schema.json"
    )


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_example_stacks_are_valid(validator: jsonschema.Draft7Validator, stack: str):
    errors = [e.message for e in validator.iter_errors(_stack(stack))]
    assert errors == []
    # ... and the model agrees.
    parse_stack_config(load_stack(ROOT, stack).namespace())


def _rename(path: list[Any], old: str, new: str):
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc["config"]
        for step in path:
            target = target[step]
        target[new] = target.pop(old)

    return mutate


def _set(path: list[Any], value: Any):
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc["config"]
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


INVALID = [
    pytest.param(_rename([], "entra-postgres:server", "entra-postgres:sever"), id="top-key"),
    pytest.param(_rename(["entra-postgres:catalog"], "displayName", "displayname"), id="catalog"),
    pytest.param(_rename(["entra-postgres:server"], "storageGb", "storageGB"), id="server-key"),
    pytest.param(
        _rename(["entra-postgres:access", 0, "grants", 0], "profile", "profil"), id="grant-key"
    ),
    pytest.param(
        _rename(["entra-postgres:server", "sku"], "tier", "teir"), id="nested-section-key"
    ),
    pytest.param(_set(["entra-postgres:access", 5, "owners"], ["x@y.z"]), id="key-for-kind"),
    pytest.param(_set(["entra-postgres:server", "storageGb"], 16), id="number-below-range"),
    pytest.param(_set(["entra-postgres:server", "groupSync"], "yes"), id="boolean-as-text"),
    pytest.param(_set(["entra-postgres:server", "tlsMinVersion"], "TLSv1.0"), id="choice"),
    pytest.param(_set(["entra-postgres:databases", 0, "schemas"], "sales"), id="text-for-list"),
    pytest.param(_set(["entra-postgres:server", "name"], "Contoso_DB"), id="pattern"),
    pytest.param(_set(["server"], {"name": "x"}), id="bare-key-misspelt-inside"),
    pytest.param(_set(["serverr"], {}), id="bare-key-unknown"),
]


@pytest.mark.parametrize("mutate", INVALID)
def test_misspelt_keys_and_wrong_types_fail(validator: jsonschema.Draft7Validator, mutate):
    doc = copy.deepcopy(_stack("dev"))
    mutate(doc)
    assert list(validator.iter_errors(doc)), "the schema accepted an invalid stack"


def test_other_namespaces_stay_open(validator: jsonschema.Draft7Validator):
    doc = copy.deepcopy(_stack("dev"))
    doc["config"]["azure-native:subscriptionId"] = {"secure": "v1:abc"}
    doc["config"]["pulumi:tags"] = {"team": "data"}
    assert list(validator.iter_errors(doc)) == []


def _sections(section: Section, seen: dict[str, Section]) -> None:
    seen[section.title] = section
    for spec in section.fields:
        for inner in _inner_sections(spec):
            if inner.title not in seen:
                _sections(inner, seen)


def _inner_sections(spec: Field) -> list[Section]:
    type_: Any = spec.type
    while hasattr(type_, "item") or hasattr(type_, "value"):
        type_ = getattr(type_, "item", None) or type_.value
    return [type_.section] if isinstance(type_, Obj) else []


def test_every_declared_key_is_in_the_schema():
    """Adding a Field to a Section is all it takes: the schema lists every key of every
    section with the field's description."""
    schema = stack_config_schema()
    sections: dict[str, Section] = {}
    _sections(STACK, sections)
    for title, section in sections.items():
        if title == STACK.title:
            properties = schema["properties"]["config"]["properties"]
            keys = {f"entra-postgres:{f.key}" for f in section.fields}
        else:
            properties = schema["definitions"][title]["properties"]
            keys = {f.key for f in section.fields}
        assert keys <= set(properties), title
        for spec in section.fields:
            name = f"entra-postgres:{spec.key}" if title == STACK.title else spec.key
            assert properties[name]["description"] == spec.doc


def test_pulumi_yaml_declares_the_model_keys_with_their_types():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["config"] == pulumi_declarations(), (
        "regenerate the config: block: python -m entra_pg.model.schema --pulumi-config"
    )
    assert project["config"]["entra-postgres:access"]["items"] == {"type": "object"}
    assert project["config"]["entra-postgres:server"]["type"] == "object"


@pytest.fixture(scope="module")
def project_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PROJECT_SCHEMA.read_text())
    assert schema["$id"].endswith("sdk/go/common/workspace/project.json")
    return jsonschema.Draft202012Validator(schema)


def test_pulumi_yaml_is_valid_against_pulumis_project_schema(project_validator):
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert [e.message for e in project_validator.iter_errors(project)] == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda c: c["entra-postgres:server"].update(type="map"), id="unknown-type"),
        pytest.param(
            lambda c: c["entra-postgres:access"]["items"].update(type="dict"), id="unknown-items"
        ),
        pytest.param(lambda c: c["entra-postgres:server"].update(optional=True), id="extra-attr"),
    ],
)
def test_pulumis_project_schema_rejects_what_the_engine_rejects(project_validator, mutate):
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    mutate(project["config"])
    assert list(project_validator.iter_errors(project))
