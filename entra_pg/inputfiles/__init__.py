"""Reading the files users hand the tools, within stated bounds (README "Input limits").

Stack and project files, `--accept` files, policy config and `--preview-json` all come
through here: `read_text` (size, UTF-8, control bytes), then `parse_yaml`/`load_yaml` or
`load_json` (nesting, aliases, keys, tags). Every problem is an `InputFileError` naming the
file and, where the parser knows it, the line: never a traceback, never a hang.
"""

from .errors import InputFileError
from .jsonfile import load_json
from .limits import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_STACK_ITEMS,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
from .text import check_text, read_text
from .yamlfile import BoundedLoader, PulumiYamlLoader, construct, load_yaml, parse_yaml

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_STACK_ITEMS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "BoundedLoader",
    "InputFileError",
    "PulumiYamlLoader",
    "check_text",
    "construct",
    "load_json",
    "load_yaml",
    "parse_yaml",
    "read_text",
]
