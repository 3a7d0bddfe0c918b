"""YAML for files people edit by hand: safe, bounded, and strict about what a key may be.

On top of `yaml.SafeLoader` (no object construction), a document is refused, with its file
and line, when it:
- nests collections deeper than `MAX_YAML_DEPTH` (checked while composing, so a
  100,000-level `[[[...` never reaches Python's recursion limit);
- expands, through aliases, to more than `MAX_YAML_NODES` nodes ("billion laughs"), or
  uses an alias inside its own anchor (a recursive structure no config can mean); both are
  checked on the node graph before anything is constructed, as yaml.v3 (Pulumi's reader)
  bounds its alias expansion;
- has a key that is not plain text (`1:`, `~:`, `true:`, `? [a, b]`) or the same key twice
  in one mapping (PyYAML would silently keep the last);
- uses a tag outside the JSON data model (`!!binary`, `!!set`, `!!timestamp`, `!Ref`...).
What passes constructs to str, int, float, bool, None, list and dict only.

Speed: when PyYAML has libyaml (`yaml.__with_libyaml__`), libyaml scans and parses the text
into events and the Python composer above builds the nodes from them, so every bound is
checked exactly where it is without libyaml; a 1,000-principal stack file (250 KB) then
is composed and checked in 0.22-0.33 s of CPU instead of 1.1-1.2 s (2 shared cores, load 2.4;
`read_stack` of it: 1.5 s before, 0.36 s now). The pure-Python loader stays the reference:
whenever the fast path refuses a text (a syntax error, a bound, a key or tag), the text is
read again by the pure loader, whose refusal is the one reported, so every message (wording,
line, column) is the same with or without libyaml. Without libyaml everything is pure Python.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .errors import InputFileError
from .limits import MAX_STACK_ITEMS, MAX_YAML_DEPTH, MAX_YAML_NODES

__all__ = [
    "BoundedLoader",
    "PulumiYamlLoader",
    "construct",
    "fast_loader",
    "fast_loader_for",
    "load_yaml",
    "parse_yaml",
]


def _libyaml_parser() -> Any:
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml: everything reads in pure Python
        return None
    return CParser


_CParser: Final[Any] = _libyaml_parser()

_TAG: Final = "tag:yaml.org,2002:"
_SCALAR_TAGS: Final = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MERGE: Final = _TAG + "merge"
_SEQ: Final = _TAG + "seq"
_MAP: Final = _TAG + "map"
_KIND: Final = {
    _TAG + "int": "a number",
    _TAG + "float": "a number",
    _TAG + "bool": "a boolean",
    _TAG + "null": "empty (null)",
}


class _Bound(yaml.MarkedYAMLError):  # type: ignore[misc, unused-ignore]
    """A bound of this module was passed (not a YAML syntax error)."""

    def __init__(self, problem: str, mark: yaml.Mark, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """`yaml.SafeLoader` that bounds nesting while composing; see `parse_yaml` for the rest."""

    max_depth: int = MAX_YAML_DEPTH
    #: The most entries one list or mapping may hold (None: no bound beyond the node bound).
    max_items: int | None = None

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def fetch_flow_collection_start(self, token_class: type[yaml.Token]) -> None:
        # The scanner keeps a possible key per open flow level and rescans them all for every
        # token, so 100,000 `[` take minutes before the composer sees the first one.
        super().fetch_flow_collection_start(token_class)
        if self.flow_level > self.max_depth:
            raise _Bound(
                f"collections nest deeper than {self.max_depth} levels",
                self.get_mark(),
                "flatten the structure (README: Input limits)",
            )

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Bound(
                    f"collections nest deeper than {self.max_depth} levels",
                    mark,
                    "flatten the structure (README: Input limits)",
                )
            if (
                self.max_items is not None
                and isinstance(parent, yaml.SequenceNode | yaml.MappingNode)
                and len(parent.value) >= self.max_items
            ):
                kind = "list" if isinstance(parent, yaml.SequenceNode) else "mapping"
                raise _Bound(
                    f"the {kind} that starts at line {parent.start_mark.line + 1} has more "
                    f"than {self.max_items:,} entries, the most any {kind} of this file may hold",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                    "split the stack, or grant through groups (README: Input limits)",
                )
            node: yaml.Node | None = super().compose_node(parent, index)
            return node
        finally:
            self._depth -= 1


class PulumiYamlLoader(BoundedLoader):
    """YAML as Pulumi's Go reader (yaml.v3) sees it: only true/false are booleans (YAML 1.2;
    PyYAML's 1.1 would turn `yes`/`on`/`no` into booleans the engine never sees) and dates
    stay text.

    For project and stack files: no list or mapping holds more than `MAX_STACK_ITEMS`
    entries, checked while composing, so a stack of 10,000 principals is refused after
    reading 1,000 of them instead of after parsing all of it (pure-Python PyYAML reads about
    200 KB a second, with libyaml's events about 1 MB: module doc).
    """

    max_items = MAX_STACK_ITEMS


_BOOL_TAG: Final = _TAG + "bool"
_TIMESTAMP_TAG: Final = _TAG + "timestamp"
PulumiYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PulumiYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


if _CParser is not None:

    class _LibyamlEvents(_CParser):  # type: ignore[misc]
        """libyaml's scanner and parser under the Python composer of the loader it is mixed
        into (see `fast_loader`): CParser would compose nodes in C, past `compose_node` and
        its bounds, so the composer's entry points are the Python ones, explicitly."""

        get_single_node = Composer.get_single_node
        check_node = Composer.check_node
        get_node = Composer.get_node

        def __init__(self: Any, stream: str) -> None:
            # Not the pure loader's __init__: its Reader, Scanner and Parser are libyaml's here.
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._depth = 0


_FAST: dict[type[BoundedLoader], type[BoundedLoader]] = {}


def fast_loader(loader: type[BoundedLoader]) -> type[BoundedLoader] | None:
    """`loader` with libyaml's scanner and parser, or None when PyYAML has no libyaml.

    Everything above the events is `loader`'s own: its `compose_node` bounds (depth, items),
    its resolver (PulumiYamlLoader's YAML 1.2 booleans), SafeConstructor. Only the scanner's
    early flow-depth check is not there; the composer's depth check still refuses at the same
    level, and `parse_yaml` rewords every refusal through the pure loader anyway.
    """
    if _CParser is None:
        return None
    if loader not in _FAST:
        _FAST[loader] = type(
            f"Libyaml{loader.__name__}", (_LibyamlEvents, loader), {"__module__": __name__}
        )
    return _FAST[loader]


def fast_loader_for(text: str, loader: type[BoundedLoader]) -> type[BoundedLoader] | None:
    """The `fast_loader` that `parse_yaml` tries first on `text`, if any."""
    # PyYAML's reader counts no column for U+FEFF (a BOM, or one inside the text), libyaml
    # does: such a text, rare, is the pure loader's alone so that every column stays its.
    return None if "\ufeff" in text else fast_loader(loader)


def _fail(source: str, node: yaml.Node, problem: str, fix: str = "") -> InputFileError:
    mark = node.start_mark
    return InputFileError(source, problem, line=mark.line + 1, column=mark.column + 1, fix=fix)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _Checker:
    """Walks the composed node graph once (shared nodes are aliases) and counts the nodes of
    the expanded tree with memoisation, so a bomb is measured without being expanded."""

    def __init__(self, source: str, max_nodes: int) -> None:
        self.source = source
        self.max_nodes = max_nodes
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def size(self, node: yaml.Node) -> int:
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            raise _fail(
                self.source,
                node,
                "an alias refers to its own anchor (a recursive structure)",
                "write the value out instead of referring to it from inside itself",
            )
        self.open.add(key)
        total = 1
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise _fail(
                    self.source,
                    node,
                    f"the tag {_short_tag(node.tag)} is not allowed",
                    "write plain text, numbers, true/false, lists and mappings only",
                )
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _fail(self.source, node, f"the tag {_short_tag(node.tag)} is not allowed")
            for item in node.value:
                total += self.size(item)
                self._bound(total, node)
        elif isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise _fail(self.source, node, f"the tag {_short_tag(node.tag)} is not allowed")
            seen: set[str] = set()
            for key_node, value_node in node.value:
                merge = self._key(key_node, seen)
                total += (1 if merge else self.size(key_node)) + self.size(value_node)
                self._bound(total, node)
        self.open.discard(key)
        self.sizes[key] = total
        return total

    def _bound(self, total: int, node: yaml.Node) -> None:
        if total > self.max_nodes:
            raise _fail(
                self.source,
                node,
                f"expands to more than {self.max_nodes:,} values once its aliases are resolved",
                "write the values out, without aliases that multiply them",
            )

    def _key(self, key_node: yaml.Node, seen: set[str]) -> bool:
        """Check one key; True for a merge key (`<<: *anchor`, which yaml.v3 supports too)."""
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
            return True
        if not isinstance(key_node, yaml.ScalarNode):
            what = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
            raise _fail(
                self.source,
                key_node,
                f"a key is {what} (a complex `? ` key)",
                "keys are plain text",
            )
        if key_node.tag != _TAG + "str":
            kind = _KIND.get(key_node.tag, _short_tag(key_node.tag))
            raise _fail(
                self.source,
                key_node,
                f"the key {key_node.value!r} is {kind}, not text",
                f'keys are text: quote it ("{key_node.value}") or rename it',
            )
        if key_node.value in seen:
            raise _fail(
                self.source,
                key_node,
                f"duplicate key {key_node.value!r} (YAML would keep only the last)",
                "give each key once",
            )
        seen.add(key_node.value)
        return False


def _yaml_error(exc: yaml.YAMLError, source: str, text: str = "") -> InputFileError:
    if isinstance(exc, _Bound) and exc.problem_mark is not None:
        at = exc.problem_mark
        return InputFileError(
            source, str(exc.problem), line=at.line + 1, column=at.column + 1, fix=exc.fix
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem = f"{problem} ({exc.context} at line {exc.context_mark.line + 1})"
        if mark is None:
            return InputFileError(source, f"invalid YAML: {problem}")
        return InputFileError(
            source, f"invalid YAML: {problem}", line=mark.line + 1, column=mark.column + 1
        )
    if isinstance(exc, yaml.reader.ReaderError):
        offset = exc.position
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return InputFileError(
            source,
            f"invalid YAML: the character U+{exc.character:04X} is not allowed in YAML",
            line=line,
            column=column,
            fix="remove it",
        )
    return InputFileError(source, f"invalid YAML: {exc}")


def parse_yaml(
    text: str,
    source: str,
    *,
    loader: type[BoundedLoader] = BoundedLoader,
    max_nodes: int = MAX_YAML_NODES,
) -> yaml.Node | None:
    """Compose and check one YAML document (None for an empty one).

    With libyaml (`fast_loader`) first; a text it refuses is read again by `loader` itself,
    whose node or refusal is the result, so libyaml changes the speed and nothing else.

    Raises:
        InputFileError: not YAML, more than one document, or past a bound (module doc).
    """
    fast = fast_loader_for(text, loader)
    if fast is not None:
        try:
            return _compose(text, source, fast, max_nodes)
        except InputFileError:
            pass  # the pure loader, below, is the reference for what a refusal says
    return _compose(text, source, loader, max_nodes)


def _compose(
    text: str, source: str, loader: type[BoundedLoader], max_nodes: int
) -> yaml.Node | None:
    try:
        instance = loader(text)  # the reader refuses unprintable characters right here
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, text) from None
    try:
        node: yaml.Node | None = instance.get_single_node()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, text) from None
    finally:
        instance.dispose()
    if node is not None:
        _Checker(source, max_nodes).size(node)
    return node


def construct(node: yaml.Node, source: str, *, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The plain value of a node `parse_yaml` returned (or one of its children)."""
    instance = loader("")
    try:
        return instance.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        mark = node.start_mark
        problem = (
            "a number has more digits than Python converts (4,300); no real value has"
            if "integer string conversion" in str(exc)
            else str(exc)
        )
        raise InputFileError(
            source,
            f"a value cannot be read: {problem}",
            line=mark.line + 1,
            column=mark.column + 1,
        ) from None
    finally:
        instance.dispose()


def load_yaml(text: str, source: str, *, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """`parse_yaml` then `construct`: the document's plain value (None when empty)."""
    node = parse_yaml(text, source, loader=loader)
    return None if node is None else construct(node, source, loader=loader)
