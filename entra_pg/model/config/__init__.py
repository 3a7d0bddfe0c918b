"""Parse and validate the stack config (namespace `entra-postgres`) into frozen objects.

`parse_stack_config` is pure: it takes the namespace's keys as plain Python values (what
`Pulumi.<stack>.yaml` holds under `entra-postgres:`) and returns a `StackConfig`, or raises
`ConfigError` listing every problem with its config path and the fix. Nothing is declared
before this succeeds.

Layout: `spec` declares every section's keys, types, defaults and bounds (the one source
the JSON Schema is generated from); `reader` reads values by those declarations; one module
per section (`server`, `entra`, `databases`, `profiles`, `principals`, `local`) adds the
checks a type cannot express; `cross` checks across sections; `parse` ties them together;
`types` holds the frozen results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entra_pg.lazyexports import lazy_exports

if TYPE_CHECKING:
    from .parse import (
        NAMESPACE,
        parse_access_spec,
        parse_stack_config,
    )
    from .server import (
        MAX_FIREWALL_ADDRESSES,
    )
    from .types import (
        CREATED_KINDS,
        AccessSpec,
        AdminGroupConfig,
        CatalogConfig,
        DatabaseConfig,
        FederatedCredential,
        FirewallRule,
        GrantConfig,
        LocalConfig,
        NetworkConfig,
        PipelineConfig,
        PrincipalConfig,
        PrincipalKind,
        ServerConfig,
        StackConfig,
        Target,
    )

__all__ = [
    "CREATED_KINDS",
    "MAX_FIREWALL_ADDRESSES",
    "NAMESPACE",
    "AccessSpec",
    "AdminGroupConfig",
    "CatalogConfig",
    "DatabaseConfig",
    "FederatedCredential",
    "FirewallRule",
    "GrantConfig",
    "LocalConfig",
    "NetworkConfig",
    "PipelineConfig",
    "PrincipalConfig",
    "PrincipalKind",
    "ServerConfig",
    "StackConfig",
    "Target",
    "parse_access_spec",
    "parse_stack_config",
]

# Each name and its module: loaded on first use (entra_pg/lazyexports.py).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "NAMESPACE": ".parse",
        "parse_access_spec": ".parse",
        "parse_stack_config": ".parse",
        "MAX_FIREWALL_ADDRESSES": ".server",
        "CREATED_KINDS": ".types",
        "AccessSpec": ".types",
        "AdminGroupConfig": ".types",
        "CatalogConfig": ".types",
        "DatabaseConfig": ".types",
        "FederatedCredential": ".types",
        "FirewallRule": ".types",
        "GrantConfig": ".types",
        "LocalConfig": ".types",
        "NetworkConfig": ".types",
        "PipelineConfig": ".types",
        "PrincipalConfig": ".types",
        "PrincipalKind": ".types",
        "ServerConfig": ".types",
        "StackConfig": ".types",
        "Target": ".types",
    },
)
