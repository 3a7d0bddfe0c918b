"""The bounds of entra_pg.inputfiles and entra_pg.model.limits at their edges: the last
accepted value passes and the first refused one fails, naming the bound."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pulumi
import pytest
import yaml

from entra_pg.inputfiles import (
    MAX_JSON_DEPTH,
    MAX_YAML_DEPTH,
    InputFileError,
    PulumiYamlLoader,
    load_json,
    load_yaml,
    parse_yaml,
    read_text,
)
from entra_pg.model import ConfigError, fold, parse_stack_config, unsafe_text_problem
from entra_pg.model.config.spec import LOCAL
from entra_pg.model.config.types import LocalConfig
from entra_pg.model.identifiers import is_object_id, reserved_role_problem
from entra_pg.model.limits import MAX_PRINCIPALS

ROOT = Path(__file__).resolve().parents[1]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_yaml_depth_bound_is_exact():
    assert load_yaml(_nested(MAX_YAML_DEPTH), "f") is not None
    with pytest.raises(InputFileError, match=f"deeper than {MAX_YAML_DEPTH}"):
        load_yaml(_nested(MAX_YAML_DEPTH + 1), "f")
    block = "".join("  " * i + f"k{i}:\n" for i in range(MAX_YAML_DEPTH + 1))
    with pytest.raises(InputFileError, match="deeper"):
        load_yaml(block, "f")


def test_json_depth_bound_is_exact():
    assert load_json(_nested(MAX_JSON_DEPTH), "f") is not None
    with pytest.raises(InputFileError, match=f"deeper than {MAX_JSON_DEPTH}"):
        load_json(_nested(MAX_JSON_DEPTH + 1), "f")


def test_aliases_are_fine_until_they_multiply():
    shared = "a: &a [1, 2, 3]\nb: *a\nc: {<<: {x: 1}, y: 2}\n"
    assert load_yaml(shared, "f") == {"a": [1, 2, 3], "b": [1, 2, 3], "c": {"x": 1, "y": 2}}
    levels = ["l0: &l0 [" + ",".join(["x"] * 10) + "]"]
    levels += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 5)]
    assert len(load_yaml("\n".join(levels), "f")["l4"]) == 10  # 10^4 leaves, 10^5 in all
    levels += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in (5, 6)]
    with pytest.raises(InputFileError, match="expands to more than 1,000,000"):
        load_yaml("\n".join(levels), "f")


def test_stack_files_bound_list_length_while_parsing():
    ok = "x: [" + ",".join(["1"] * 1000) + "]"
    assert parse_yaml(ok, "f", loader=PulumiYamlLoader) is not None
    with pytest.raises(InputFileError, match="more than 1,000 entries") as caught:
        parse_yaml("x: [" + ",".join(["1"] * 1001) + "]", "f", loader=PulumiYamlLoader)
    assert caught.value.line == 1
    # Other files (an --accept list of many findings) are bounded by size and values only.
    assert len(load_yaml("[" + ",".join(["1"] * 5000) + "]", "f")) == 5000


def test_pulumi_yaml_reader_keeps_yes_as_text_and_refuses_bool_keys():
    assert load_yaml("a: yes\nb: true\n", "f", loader=PulumiYamlLoader) == {"a": "yes", "b": True}
    with pytest.raises(InputFileError, match="boolean"):
        load_yaml("true: 1\n", "f", loader=PulumiYamlLoader)


def test_read_text_accepts_a_bom_and_names_the_line_of_a_bad_byte(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert read_text(path, limit=100, what="a file") == "a: 1\n"
    path.write_bytes(b"a: 1\nb: \xc3\x28\n")
    with pytest.raises(InputFileError, match="not UTF-8") as caught:
        read_text(path, limit=100, what="a file")
    assert (caught.value.line, caught.value.column) == (2, 4)
    with pytest.raises(InputFileError, match="the limit for a file"):
        read_text(path, limit=5, what="a file")


def dev_namespace() -> dict[str, Any]:
    """The dev stack's namespace, as the program reads it."""
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("entra-postgres:")}


def test_principal_limit_is_checked_before_the_principals():
    ns = dev_namespace()
    ns["access"] = [{"kind": "robot"}] * (MAX_PRINCIPALS + 1)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(ns)
    assert [i.path for i in caught.value.issues] == ["entra-postgres:access"]
    assert "the limit is 1,000" in str(caught.value)


def test_folding_and_unsafe_characters():
    assert fold("\uff2frders") == fold("ORDERS") == fold("orders")
    assert fold("\u212a") == fold("k")  # KELVIN SIGN
    assert unsafe_text_problem("orders-api") is None
    assert (
        unsafe_text_problem("na\u00efve caf\u00e9") is None
    )  # letters and combining marks are fine
    for char in ("\r", "\u202e", "\u200b", "\u00a0", "\u2028", "\ue000", "\U000e0001"):
        assert unsafe_text_problem(f"a{char}b") is not None, repr(char)


def test_object_ids_and_reserved_names():
    assert is_object_id("3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11")
    assert not is_object_id("00000000-0000-0000-0000-000000000000")
    assert not is_object_id("\uff13b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11")
    for name in ("azure_pg_admin", "AzureSU", "pg_monitor", "\uff30ublic", "replication"):
        assert reserved_role_problem(name) is not None, name
    assert reserved_role_problem("orders-api") is None


def test_local_defaults_are_the_declared_ones():
    """The record's defaults and the schema's must not drift apart."""
    defaults = {f.name: f.default for f in msgspec.structs.fields(LocalConfig)}
    declared = {f.key: f.default for f in LOCAL.fields}
    assert defaults == declared


def test_a_secret_key_is_refused_by_the_program():
    """Under the real engine a `secure:` value arrives decrypted; the program refuses the key
    because nothing in the namespace may be secret."""
    from entra_pg.program import ProgramConfigError, load_stack_config

    ns = dev_namespace()
    config = {f"entra-postgres:{k}": json.dumps(v) for k, v in ns.items()}
    pulumi.runtime.set_all_config(config, ["entra-postgres:admins"])
    try:
        with pytest.raises(ProgramConfigError, match="secure:") as caught:
            load_stack_config()
        assert "entra-postgres:admins" in str(caught.value)
        pulumi.runtime.set_all_config(config, [])
        assert load_stack_config().admins is not None
    finally:
        pulumi.runtime.set_all_config({}, [])


def test_opt_outs_are_listed():
    ns = copy.deepcopy(dev_namespace())
    ns["server"]["network"] = {
        "publicAccess": "Enabled",
        "allowAzureServices": True,
        "firewallRules": [{"name": "azure", "startIp": "0.0.0.0", "endIp": "0.0.0.0"}],  # noqa: S104
    }
    outs = parse_stack_config(ns).opt_outs()
    assert len(outs) == 2
    assert "allowAzureServices" in outs[1]
