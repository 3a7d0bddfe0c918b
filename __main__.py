"""The entra-postgres stack: Entra identities, a Flexible Server, and PostgreSQL access.

Thin composition root. Config is validated in full before any resource is declared; an
invalid config ends the program with a message naming each problem and its fix.
"""

import pulumi

from entra_pg.program import build, load_stack_config

config = load_stack_config()
for key, value in build(config).items():
    pulumi.export(key, value)
