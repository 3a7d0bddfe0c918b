"""`plain_values` (entra_pg/inputfiles/plainvalues.py) reads what the checked path reads.

Its one promise: whenever it returns a value, that value equals `construct(parse_yaml(text))`
with the same loader; it gives up (None) on every document the checked path refuses and on
every feature it leaves to that path. Held to that on the corpora of tests/test_yaml_fast.py
(the repository's YAML, the hostile stack cases, hostile texts, a generated 1,000-principal
stack and its restyled variants) and on documents made for its edges. `read_stack` reads the
same config through it as through the node tree, and really takes it for a common file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.inputfiles import (
    MAX_YAML_NODES,
    BoundedLoader,
    InputFileError,
    PulumiYamlLoader,
    read_text,
    yamlfile,
)
from entra_pg.inputfiles import plainvalues as pv
from entra_pg.inputfiles.limits import MAX_YAML_BYTES
from entra_pg.inputfiles.yamlfile import construct, parse_yaml
from entra_pg.stack import StackLoadError, stackfile

from .hostile.cases import STACK_CASES
from .test_yaml_fast import HOSTILE_TEXT, LOADERS, _repo_yaml, plan_scale

_NO_VALUE = object()


def checked(text: str, loader: type[BoundedLoader]) -> Any:
    """The checked path's value, or _NO_VALUE when it refuses the text."""
    try:
        node = parse_yaml(text, "f.yaml", loader=loader)
        return None if node is None else construct(node, "f.yaml", loader=loader)
    except InputFileError:
        return _NO_VALUE


def agree(text: str, loader: type[BoundedLoader]) -> bool:
    """Assert the promise on `text`; True when the plain path gave a value."""
    plain = pv.plain_values(text, loader, max_nodes=MAX_YAML_NODES)
    reference = checked(text, loader)
    if plain is None:
        return False
    assert reference is not _NO_VALUE, f"plain path accepted a refused text: {text[:200]!r}"
    assert plain[0] == reference, f"plain path read {text[:200]!r} differently"
    # == says 1 == True == 1.0; the types must be the same too.
    assert _types(plain[0]) == _types(reference)
    return True


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


COMMON = [
    "a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 1_000\nf: 1.5\ng: .inf\nh: -.NaN\ni: 1e3\n",
    "a: true\nb: False\nc: TRUE\nd: yes\ne: on\nf: no\ng: off\n",
    "a: ~\nb: null\nc:\nd: ''\ne: \"\"\nf: 'null'\ng: \"~\"\n",
    "a: 12:30\nb: 1:20:30\n",
    'a: |\n  literal\n   kept\n\nb: >-\n  folded\n  text\nc: "\\u00e9\\t\\x85"\n',
    "a: [1, two, {three: 3}, [4, [5]]]\nb: {c: {d: {e: [f]}}}\n",
    "- a\n- - b\n  - c\n- d: e\n  f: [g]\n",
    "'quoted key': 1\n\"1\": one\n'true': t\n'~': n\nx y: spaced\n",
    "config:\n  entra-postgres:access:\n    - name: a@contoso.com\n      kind: user\n",
    "# comment\n---\na: 1 # trailing\n...\n",
    "just text\n",
    "42\n",
    "---\n...\n",
    "a: é😀\nb: 'it''s'\n",
]

LEFT_TO_THE_CHECKED_PATH = [
    "a: &x 1\nb: *x\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",
    "<<: {a: 1}\n",
    "a: !!str 1\n",
    "a: !Ref x\n",
    "a: ! x\n",
    "!!map {a: 1}\n",
    "a: 1\na: 2\n",
    "1: one\n",
    "~: none\n",
    "true: yes\n",
    "? [a, b]\n: c\n",
    "? {a: b}\n: c\n",
    "a: =\n",
    "a: 1\n---\nb: 2\n",
    "a: " + "9" * 5000 + "\n",
    "\ufeffa: 1\n",
    "a: 'unterminated\n",
    "- " * 40 + "x\n",
    "x: [" + ",".join(["1"] * 1001) + "]\n",
    "\n".join(f"k{n}: v" for n in range(1001)) + "\n",
]


@pytest.mark.parametrize("text", COMMON, ids=range(len(COMMON)))
def test_common_documents_are_read_by_the_plain_path_alike(text: str) -> None:
    for loader in LOADERS:
        assert agree(text, loader), f"plain path gave up on {text!r}"


@pytest.mark.parametrize("text", LEFT_TO_THE_CHECKED_PATH, ids=range(len(LEFT_TO_THE_CHECKED_PATH)))
def test_what_the_plain_path_does_not_read_it_leaves_to_the_checked_path(text: str) -> None:
    assert not agree(text, PulumiYamlLoader)


def test_each_loaders_resolver_decides_what_a_plain_scalar_is() -> None:
    text = "a: 2001-12-14\nb: yes\n"
    # Pulumi's YAML 1.2: text both; SafeLoader's 1.1: a timestamp, which no config may be.
    assert pv.plain_values(text, PulumiYamlLoader, max_nodes=10) == (
        {"a": "2001-12-14", "b": "yes"},
    )
    assert agree(text, PulumiYamlLoader)
    assert not agree(text, BoundedLoader)


def test_the_bounds_are_the_loaders_own() -> None:
    # Exactly at the bounds is read; one past is left to the checked path (which refuses).
    deep_ok = "- " * (PulumiYamlLoader.max_depth - 1) + "x\n"
    assert agree(deep_ok, PulumiYamlLoader)
    assert not agree("- " * PulumiYamlLoader.max_depth + "x\n", PulumiYamlLoader)
    items = PulumiYamlLoader.max_items
    assert items is not None
    assert agree("x: [" + ",".join(["1"] * items) + "]\n", PulumiYamlLoader)
    # BoundedLoader has no item bound: the plain path reads the long list too.
    assert agree("x: [" + ",".join(["1"] * (items + 1)) + "]\n", BoundedLoader)
    text = "x: [" + ",".join(["1"] * 99) + "]\n"  # 1 mapping, 1 key, 1 list, 99 items
    assert pv.plain_values(text, BoundedLoader, max_nodes=102) is not None
    assert pv.plain_values(text, BoundedLoader, max_nodes=101) is None


def test_hostile_texts_are_read_alike_or_left_to_the_checked_path() -> None:
    read = sum(agree(text, loader) for text in HOSTILE_TEXT for loader in LOADERS)
    assert read > 5, read  # some are common documents, and those are read


@pytest.mark.parametrize("path", _repo_yaml(), ids=lambda p: str(p.name))
def test_the_repository_yaml_is_read_alike(path: Path) -> None:
    text = read_text(path, limit=MAX_YAML_BYTES, what="a YAML file")
    for loader in LOADERS:
        agree(text, loader)


def test_a_generated_1000_principal_stack_and_its_restyled_variants(tmp_path: Path) -> None:
    project = plan_scale.write_project(tmp_path / "p", 1000, 10)
    text = (project / "Pulumi.bench.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    flow = yaml.safe_dump(data, default_flow_style=True, width=60)
    styled = yaml.safe_dump(data, default_style='"', sort_keys=True)
    assert agree(text, PulumiYamlLoader)
    assert agree(flow, PulumiYamlLoader)
    # Every scalar double-quoted: numbers and booleans get explicit tags (`!!int "1"`),
    # which are the checked path's to read.
    assert "!!" in styled
    assert not agree(styled, PulumiYamlLoader)


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, bool]:
    """read_stack's outcome with and without the plain path, and whether it was taken."""

    def outcome() -> Any:
        try:
            return stackfile.read_stack(path, "entra-postgres")
        except StackLoadError as exc:
            return ("refused", exc.render())

    taken: list[bool] = []
    real = stackfile._read_plain

    def spy(*args: Any) -> Any:
        result = real(*args)
        taken.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(stackfile, "_read_plain", spy)
        fast = outcome()
    with monkeypatch.context() as patch:
        patch.setattr(stackfile, "_read_plain", lambda *args: None)
        slow = outcome()
    return fast, slow, taken == [True]


def test_read_stack_reads_every_hostile_stack_case_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = 0
    for number, case in enumerate(STACK_CASES):
        directory = tmp_path / str(number)
        directory.mkdir()
        case.write(directory)
        for path in sorted(directory.glob("Pulumi.*.yaml")):
            if path.name == "Pulumi.yaml":
                continue
            fast, slow, plain = _both_ways(path, monkeypatch)
            assert fast == slow, path.read_text("utf-8", errors="replace")[:300]
            taken += plain
    assert taken > 50, taken


def test_read_stack_keeps_scalar_text_and_secrets_through_the_plain_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "environment:\n  - prod\n"
        "config:\n"
        "  entra-postgres:version: 16\n"
        "  entra-postgres:ha: true\n"
        "  entra-postgres:empty: ~\n"
        "  entra-postgres:blank: ''\n"
        "  entra-postgres:when: 2001-12-14\n"
        '  entra-postgres:quoted: "1.50"\n'
        "  entra-postgres:token:\n    secure: AAABAC==\n"
        "  aws:tags: {a: 1, nested: {secure: v1}, list: [x, {secure: v2}]}\n"
        "  bare: 0x10\n",
        encoding="utf-8",
    )
    fast, slow, plain = _both_ways(path, monkeypatch)
    assert plain
    assert fast == slow
    values, warnings = fast
    assert values["entra-postgres:version"].value == "16"
    assert values["entra-postgres:ha"].value == "true"
    assert values["entra-postgres:empty"].value == ""
    assert values["entra-postgres:when"].value == "2001-12-14"
    assert values["entra-postgres:quoted"].value == "1.50"
    assert values["entra-postgres:token"].secret
    assert values["aws:tags"].secret
    assert values["aws:tags"].structured
    assert values["entra-postgres:bare"].value == "0x10"
    assert len(warnings) == 1
    assert "environment" in warnings[0]


def test_without_libyaml_the_plain_path_is_never_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pv.plain_values("a: 1\n", PulumiYamlLoader, max_nodes=10) == ({"a": 1},)
    monkeypatch.setattr(yamlfile, "_CParser", None)
    assert pv.plain_values("a: 1\n", PulumiYamlLoader, max_nodes=10) is None
