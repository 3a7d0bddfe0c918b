"""The libyaml path of entra_pg/inputfiles/yamlfile.py reads exactly what the pure loader reads.

`parse_yaml` composes with libyaml's events first and falls back to the pure-Python loader on
any refusal. These tests hold the two to the same node trees (tags, values, styles, lines and
columns) on the repository's YAML files, generated stacks up to 1,000 principals and the
hostile inputs of tests/hostile; they check that libyaml never accepts what the pure loader
refuses, that every refusal reads the same through `parse_yaml` with or without libyaml, and
that the fast path is really the one taken.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.composer import Composer

from entra_pg.inputfiles import InputFileError, read_text, yamlfile
from entra_pg.inputfiles.limits import MAX_YAML_BYTES, MAX_YAML_NODES
from entra_pg.inputfiles.yamlfile import (
    BoundedLoader,
    PulumiYamlLoader,
    fast_loader,
    fast_loader_for,
    parse_yaml,
)

from .hostile.cases import AUX_YAML, ROOT, STACK_CASES

sys.path.insert(0, str(ROOT / "benchmarks"))
import plan_scale

LOADERS = [BoundedLoader, PulumiYamlLoader]


def _tree(node: yaml.Node | None, seen: dict[int, int] | None = None) -> Any:
    """A node graph as plain data: kind, tag, value, style, place; a shared node (an alias)
    as the number of its first appearance, so anchors must match as well."""
    if node is None:
        return None
    seen = {} if seen is None else seen
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    place = (node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)
    if isinstance(node, yaml.ScalarNode):
        # A plain scalar's style is None from PyYAML, "" from libyaml; nothing reads it.
        return ("scalar", node.tag, node.value, node.style or None, place)
    if isinstance(node, yaml.SequenceNode):
        items: Any = [_tree(item, seen) for item in node.value]
    else:
        items = [(_tree(k, seen), _tree(v, seen)) for k, v in node.value]
    # Block collections: flow_style None from PyYAML, False from libyaml; nothing reads it.
    return (type(node).__name__, node.tag, bool(node.flow_style), place, items)


def _outcome(text: str, loader: type[BoundedLoader]) -> tuple[str, Any]:
    try:
        return "ok", _tree(yamlfile._compose(text, "f.yaml", loader, MAX_YAML_NODES))
    except InputFileError as exc:
        return "refused", str(exc)


def _parse(text: str, loader: type[BoundedLoader]) -> tuple[str, Any]:
    try:
        return "ok", _tree(parse_yaml(text, "f.yaml", loader=loader))
    except InputFileError as exc:
        return "refused", str(exc)


def same_reading(text: str, loaders: list[type[BoundedLoader]] = LOADERS) -> list[str]:
    """Assert the fast and the pure loader agree on `text` (the pure one's refusal is what
    `parse_yaml` says); the outcomes of the fast path, per loader."""
    outcomes = []
    for loader in loaders:
        pure = _outcome(text, loader)
        fast = fast_loader_for(text, loader)
        quick = ("pure only", None) if fast is None else _outcome(text, fast)
        if quick[0] == "pure only":
            assert "\ufeff" in text
        elif quick[0] == "ok":
            assert quick == pure, f"libyaml read {text[:200]!r} differently"
        else:  # refused by libyaml: the pure loader's word stands, whatever it is
            assert quick[0] == "refused"
        assert _parse(text, loader) == pure
        outcomes.append(quick[0])
    return outcomes


def _repo_yaml() -> list[Path]:
    skip = {".venv", "venv", ".git", "node_modules", ".venv-ldap2pg"}
    return sorted(
        p
        for pattern in ("*.yaml", "*.yml")
        for p in ROOT.rglob(pattern)
        if not skip.intersection(p.relative_to(ROOT).parts)
    )


def test_libyaml_is_there_and_its_loader_composes_in_python():
    # The speed the README states needs libyaml; without it this is the test that says so.
    assert yaml.__with_libyaml__
    fast = fast_loader(PulumiYamlLoader)
    assert fast is not None
    assert issubclass(fast, PulumiYamlLoader)
    # CParser composes in C past every bound unless the Python composer's entry points win.
    assert fast.get_single_node is Composer.get_single_node
    assert fast.compose_node is BoundedLoader.compose_node
    assert fast.yaml_implicit_resolvers is PulumiYamlLoader.yaml_implicit_resolvers
    # The bounds hold inside the fast path itself, before any fallback.
    with pytest.raises(InputFileError, match="more than 1,000 entries"):
        yamlfile._compose("x: [" + ",".join(["1"] * 1001) + "]", "f", fast, MAX_YAML_NODES)
    with pytest.raises(InputFileError, match="nest deeper than 32"):
        yamlfile._compose("- " * 40 + "x\n", "f", fast, MAX_YAML_NODES)
    assert fast("a: yes\nb: TRUE\n").get_single_node().value[0][1].tag.endswith(":str")


def test_parse_yaml_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch):
    used: list[type[BoundedLoader]] = []
    compose = yamlfile._compose

    def spy(text: str, source: str, loader: type[BoundedLoader], max_nodes: int) -> Any:
        used.append(loader)
        return compose(text, source, loader, max_nodes)

    monkeypatch.setattr(yamlfile, "_compose", spy)
    parse_yaml((ROOT / "Pulumi.dev.yaml").read_text("utf-8"), "f", loader=PulumiYamlLoader)
    assert used == [fast_loader(PulumiYamlLoader)]
    used.clear()
    with pytest.raises(InputFileError, match="duplicate key"):
        parse_yaml("a: 1\na: 2\n", "f")
    assert used == [fast_loader(BoundedLoader), BoundedLoader]  # refused: worded by the pure one


def test_a_generated_1000_principal_stack_reads_the_same(tmp_path: Path):
    # How much faster is the benchmarks' business (README: Benchmarks), not a timed test's.
    project = plan_scale.write_project(tmp_path / "p", 1000, 10)
    text = read_text(project / "Pulumi.bench.yaml", limit=MAX_YAML_BYTES, what="a stack")
    fast = fast_loader(PulumiYamlLoader)
    assert fast is not None
    assert _outcome(text, fast) == _outcome(text, PulumiYamlLoader)
    assert _outcome(text, fast)[0] == "ok"
    flow = yaml.safe_dump(yaml.safe_load(text), default_flow_style=True, width=60)
    styled = yaml.safe_dump(yaml.safe_load(text), default_style='"', sort_keys=True)
    for variant in (flow, styled):
        assert same_reading(variant, [PulumiYamlLoader]) == ["ok"]


@pytest.mark.parametrize("path", _repo_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_repository_yaml_reads_the_same(path: Path):
    try:
        text = read_text(path, limit=MAX_YAML_BYTES, what="a YAML file")
    except InputFileError:
        pytest.fail(f"{path} is not a readable YAML file")
    same_reading(text)


def test_the_hostile_stack_cases_read_the_same(tmp_path: Path):
    parsed = refused_by_both = 0
    for number, case in enumerate(STACK_CASES):
        directory = tmp_path / str(number)
        directory.mkdir()
        case.write(directory)
        for path in sorted(directory.glob("*.yaml")):
            try:
                text = read_text(path, limit=MAX_YAML_BYTES, what="a stack file")
            except InputFileError:
                continue  # refused before any YAML is read (size, encoding, control bytes)
            outcomes = same_reading(text, [PulumiYamlLoader])  # the stack files' loader
            parsed += 1
            refused_by_both += outcomes.count("refused")
    assert parsed > 100, parsed
    assert refused_by_both > 5, refused_by_both


HOSTILE_TEXT = [
    *(text for _, text, _ in AUX_YAML),
    "a: 'unterminated\n",
    'a: "bad \\q escape"\n',
    "a:\n  - b\n - c\n",
    "a: b: c\n",
    "\ta: 1\n",
    "a: [1, 2\n",
    "%YAML 2.0\n---\na: 1\n",
    "%YAML 1.3\n---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: !Ref x\n",
    "a: !!python/object:os.system x\n",
    "a: !!set {x}\n",
    "a: !!timestamp 2001-12-14\n",
    "a: 2001-12-14\nb: yes\nc: 0o17\nd: 1_000\ne: .inf\nf: ~\n",
    "<<: {a: 1}\nb: 2\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",
    "a: *unknown\n",
    "a: |\n  literal\n   kept\n\nb: >-\n  folded\n  text\n",
    'a: "\\u00e9\\x85\\U0001F600"\nb: é😀\u2028c: NEL\x85d\n',
    "a: b\ufeffc\n",
    "\ufeffa: 1\n",
    "a: " + "9" * 5000 + "\n",
    "- " * 40 + "x\n",
    "{" * 40 + "}" * 40,
    "k" * 1100 + ": v\n",
    "? a\n: b\n",
    "a:\n",
    "",
    "# only a comment\n",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_hostile_text_reads_the_same(text: str):
    same_reading(text)
