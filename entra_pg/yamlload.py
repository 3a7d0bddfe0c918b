"""A YAML loader for files people edit by hand: safe, and strict about duplicate keys.

PyYAML keeps the last of two equal keys silently; in a stack file or an acknowledgement that
would let a second `reason:` or a second principal win unnoticed, so it is an error here.
"""

from typing import Any, cast

import yaml

__all__ = ["UniqueKeyLoader"]


class UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """`yaml.SafeLoader` that raises `ConstructorError` on a duplicate mapping key."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return cast(dict[Any, Any], super().construct_mapping(node, deep=deep))
