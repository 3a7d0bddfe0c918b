"""The bounds every file the tools read is held to (README "Input limits").

A file past a bound is refused at once with a message naming the bound, before any of it
is interpreted: a hostile or broken file costs at most a bounded read and parse, never a
hang or an exhausted machine. The figures leave ample room for real files: the dev stack
is 3 KB, 6 levels deep, with no aliases; a stack at the principal limit (see
`entra_pg.model.limits`) is about 1.5 MB.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_STACK_ITEMS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
]

#: Hand-edited YAML (Pulumi.yaml, Pulumi.<stack>.yaml, --accept, policy config): 2 MiB.
#: Pure-Python PyYAML reads about 200 KB a second, with libyaml's events about 1 MB (a
#: refusal is read again in pure Python, yamlfile.py): any file parses in seconds.
MAX_YAML_BYTES: Final = 2 * 1024 * 1024
#: Entries in one list or mapping of a project or stack file: the longest list the access
#: model accepts (`access`, `entra_pg.model.limits.MAX_PRINCIPALS`).
MAX_STACK_ITEMS: Final = 1_000
#: Nesting of YAML collections (the stack config needs 7: config, access, [n], grants, [m],
#: schemas, [k]).
MAX_YAML_DEPTH: Final = 32
#: Nodes of a YAML document once every alias is expanded. Aliases are legal YAML, but ten
#: nested aliases of ten ("billion laughs") expand a 1 KB file to 10^10 nodes; the bound
#: is checked on the node graph before anything is built.
MAX_YAML_NODES: Final = 1_000_000
#: Machine-written JSON (`pulumi preview --json`, JSON policy config and --accept): 256 MiB
#: (a preview of some 50,000 resources).
MAX_JSON_BYTES: Final = 256 * 1024 * 1024
#: Nesting of JSON arrays and objects (provider inputs nest, previews add 4 levels).
MAX_JSON_DEPTH: Final = 64
