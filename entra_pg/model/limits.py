"""Size bounds of the access model (README "Input limits").

A stack past one of them is refused at once, while its config is read (a list's length is
checked before any of its items), with a message naming the limit: nothing is planned or
declared. The figures keep an offline plan within about a minute and 2 GB on a small CI
machine (the SDK registers about 270 resources a second, and each principal is 3 to 6
resources); a larger estate splits into several stacks or grants through groups.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_CAPABILITY_ROLES",
    "MAX_DATABASES",
    "MAX_FEDERATED_CREDENTIALS",
    "MAX_FIREWALL_RULES",
    "MAX_GRANTS",
    "MAX_GRANT_RESOURCES",
    "MAX_MEMBERS",
    "MAX_PRINCIPALS",
    "MAX_PROFILES",
    "MAX_SCHEMAS",
    "MAX_TAGS",
]

#: Principals (`access`) per stack.
MAX_PRINCIPALS: Final = 1_000
#: Grants per principal.
MAX_GRANTS: Final = 50
#: Managed databases per stack.
MAX_DATABASES: Final = 50
#: Schemas per database (and per grant).
MAX_SCHEMAS: Final = 100
#: Custom profiles per stack.
MAX_PROFILES: Final = 50
#: Owners or members listed for one group.
MAX_MEMBERS: Final = 500
#: Federated credentials per application (Entra allows 20).
MAX_FEDERATED_CREDENTIALS: Final = 20
#: Firewall rules (Azure allows 128 per server).
MAX_FIREWALL_RULES: Final = 128
#: Azure tags on the server (Azure allows 50 per resource).
MAX_TAGS: Final = 50
#: Principal x database x schema grants the stack expands to (each is a few resources).
MAX_GRANT_RESOURCES: Final = 10_000
#: Capability roles: every schema of every database times every profile.
MAX_CAPABILITY_ROLES: Final = 2_000
