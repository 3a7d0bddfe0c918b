"""Read a Pulumi project and one stack's config the way the Pulumi CLI does, without it.

`load_stack` reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`, applies the project's config
declarations (defaults, required keys, types, secrets) as the engine does before it starts
the program, and returns the config as the language host would receive it: one string per
key, structured values JSON-encoded. A config problem the engine would refuse is reported
here with its config path, so an offline plan fails where `pulumi preview` would.

Engine behaviour reproduced (pulumi/pulumi `sdk/go/common/workspace/config.go`, `project.go`,
`project.json`):
- A project config entry is either a plain value (a default for project keys, a value for
  other namespaces) or a declaration {type, items, description, secret, default, value}.
  Declared types are `string`, `integer`, `boolean`, `object` (3.186+) and `array` (with
  `items`); nothing else.
- A project-namespace key declared without a default or value is required in every stack
  ("Stack 'dev' is missing configuration value 'x'").
- Typed keys are checked against the stack's values ("... must be of type 'array<string>'");
  secret keys must be encrypted in the stack file.
- Stack keys without a namespace belong to the project. A scalar value reaches the program
  as its YAML text; a mapping or list as compact JSON with sorted keys (Go's encoder).
- Only `true`/`false` are booleans and dates stay text (Go's YAML 1.2 reader, not YAML 1.1).

What cannot be reproduced offline is said, not guessed: encrypted values become placeholders
(`secure:` values need the stack's secrets provider) and ESC environments are not resolved
(a warning is recorded).

The package follows the engine's order: `project` (Pulumi.yaml and its declarations),
`stackfile` (Pulumi.<stack>.yaml), `merge` (defaults, required keys, types, near-miss
namespaces), `load` (all of it); `values` holds what they produce. Every file is read
through `entra_pg.inputfiles`, within the bounds stated there.
"""

from entra_pg.model import SECRET_PLACEHOLDER

from .load import available_stacks, load_stack
from .values import ConfigDeclaration, ConfigValue, StackFiles, StackLoadError, namespace

__all__ = [
    "SECRET_PLACEHOLDER",
    "ConfigDeclaration",
    "ConfigValue",
    "StackFiles",
    "StackLoadError",
    "available_stacks",
    "load_stack",
    "namespace",
]
