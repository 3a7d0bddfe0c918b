"""The plain values of a common YAML document straight from libyaml's events, or None.

`parse_yaml` then `construct` compose a node tree, walk it for the bounds and build the
values: about 0.28 s for a 1,000-principal stack file. Most documents people write use
none of what that machinery is for, so `plain_values` builds the values in one pass over
libyaml's events (about 0.06 s for the same file) and gives up, returning None, on the
first sign of anything else:
- an anchor, an alias, an explicit tag, a merge key (`<<`), a key that is not text, the
  same key twice;
- a node deeper than the loader's `max_depth`, a list or mapping of more than its
  `max_items` entries, more than `max_nodes` nodes;
- a value whose tag is not str, null, bool, int or float (`=`, say), several documents, a
  BOM, or anything libyaml refuses.
The caller then takes the checked path (`parse_yaml`), which decides and words every
refusal, so this function changes how fast a document is read and nothing else: what it
returns equals `construct(parse_yaml(text))` (tests/test_yaml_plain.py holds it to that on
every YAML corpus of the repository). Without libyaml it always returns None.

Scalars are resolved by the loader's own resolver (PulumiYamlLoader: YAML 1.2 booleans, no
timestamps) and built by its own constructor where they are not text, null or a boolean.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from .yamlfile import BoundedLoader, fast_loader_for

__all__ = ["plain_values"]

_TAG: Final = "tag:yaml.org,2002:"
_STR: Final = _TAG + "str"
_NULL: Final = _TAG + "null"
_BOOL: Final = _TAG + "bool"
_BUILT: Final = {_TAG + "int": "construct_yaml_int", _TAG + "float": "construct_yaml_float"}


class _Uncommon(Exception):  # noqa: N818 - a signal, not an error anyone sees
    """Not a common document: the caller reads it the checked way."""


class _Scalars:
    """Resolves and constructs plain scalars with the rules of `instance` (a loader),
    memoised by text (a stack file repeats `kind: user`, `profile: read` and database
    names thousands of times)."""

    def __init__(self, instance: BoundedLoader) -> None:
        self.instance = instance
        self.tags: dict[str, str] = {}

    def tag(self, text: str) -> str:
        tag = self.tags.get(text)
        if tag is None:
            resolve = self.instance.resolve
            tag = self.tags[text] = resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        return tag

    def value(self, text: str, tag: str) -> Any:
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return self.instance.bool_values[text.lower()]
        method = _BUILT.get(tag)
        if method is None:
            raise _Uncommon
        return getattr(self.instance, method)(yaml.ScalarNode(tag, text))


def plain_values(
    text: str,
    loader: type[BoundedLoader],
    *,
    max_nodes: int,
    raw_level: int = 0,
) -> tuple[Any] | None:
    """`(value,)` of the document `text`, or None when it is not a common one (module doc).

    Args:
        loader: whose resolver, constructor and bounds (`max_depth`, `max_items`) apply.
        max_nodes: the most nodes the document may have (as `parse_yaml`'s bound).
        raw_level: when not 0, scalar values of the mappings that many levels deep (1:
            the document's own mapping) are returned as their YAML text, "" for a null,
            unconstructed: what the stack reader keeps of a config value.
    """
    # The loader parse_yaml tries first: `loader` over libyaml's parser, or None (no
    # libyaml, or a text libyaml would place differently). Its events, resolver and
    # constructor are all this needs.
    fast = fast_loader_for(text, loader)
    if fast is None:
        return None
    try:
        return (_build(fast(text), max_nodes, raw_level),)
    except (_Uncommon, yaml.YAMLError, ValueError):
        return None


def _build(parser: BoundedLoader, max_nodes: int, raw_level: int) -> Any:
    scalars = _Scalars(parser)
    max_depth, max_items = parser.max_depth, parser.max_items
    # Open collections: [container, pending key or None]; a mapping's key is held until
    # its value arrives.
    stack: list[list[Any]] = []
    nodes = 0
    documents = 0
    root: Any = None
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    get_event: Any = parser.get_event  # libyaml's (CParser), through the fast loader
    try:
        while (event := get_event()) is not None:
            kind = event.__class__
            if kind is document_start:
                documents += 1
                if documents > 1:
                    raise _Uncommon
                continue
            if kind is mapping_end or kind is sequence_end:
                item = stack.pop()[0]
            elif kind is scalar_event or kind is mapping_start or kind is sequence_start:
                nodes += 1
                if event.anchor is not None or event.tag is not None or nodes > max_nodes:
                    raise _Uncommon
                if len(stack) + 1 > max_depth:
                    raise _Uncommon
                if kind is not scalar_event:
                    if stack and stack[-1][0].__class__ is dict and stack[-1][1] is None:
                        raise _Uncommon  # a collection as a key
                    stack.append([{} if kind is mapping_start else [], None])
                    continue
                item = _scalar(event, scalars, stack, raw_level)
            elif kind is alias_event:
                raise _Uncommon
            else:  # stream and document boundaries
                continue
            if not stack:
                root = item
                continue
            top = stack[-1]
            container = top[0]
            if container.__class__ is list:
                if max_items is not None and len(container) >= max_items:
                    raise _Uncommon
                container.append(item)
            elif top[1] is None:
                if item.__class__ is not str or item in container:
                    raise _Uncommon  # not text (see _scalar), or a duplicate
                if max_items is not None and len(container) >= max_items:
                    raise _Uncommon
                top[1] = item
            else:
                container[top[1]] = item
                top[1] = None
    finally:
        parser.dispose()
    return root


def _scalar(event: Any, scalars: _Scalars, stack: list[list[Any]], raw_level: int) -> Any:
    text: str = event.value
    plain = event.implicit[0]
    tag = scalars.tag(text) if plain else _STR
    top = stack[-1] if stack else None
    if top is not None and top[0].__class__ is dict and top[1] is None:
        # A key: text only. A plain key that resolves to anything else (`1:`, `~:`,
        # `true:`) or is a merge key is the checked path's to refuse or merge.
        if tag != _STR:
            raise _Uncommon
        return text
    if raw_level and top is not None and top[0].__class__ is dict and len(stack) == raw_level:
        if tag not in (_STR, _NULL, _BOOL) and tag not in _BUILT:
            raise _Uncommon
        return "" if tag == _NULL else text
    return scalars.value(text, tag)
