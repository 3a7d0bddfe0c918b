"""The access model: stack config in, validated and expanded access out.

Pure Python (no Pulumi import), deterministic, and the single source for the components,
the access matrix, the access diff and the audit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entra_pg.lazyexports import lazy_exports

if TYPE_CHECKING:
    from .config import (
        NAMESPACE,
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
        parse_access_spec,
        parse_stack_config,
    )
    from .errors import (
        ConfigError,
        ConfigIssue,
    )
    from .expand import (
        PUBLIC,
        AccessEntry,
        CapabilityRole,
        DefaultPrivilegeSpec,
        ExpandedAccess,
        GrantSpec,
        Membership,
        PrincipalRole,
        capability_role_name,
        entra_label,
        expand,
        expand_access,
    )
    from .identifiers import (
        SECRET_PLACEHOLDER,
        fold,
        unsafe_text_problem,
    )
    from .profiles import (
        ALLOWED_PRIVILEGES,
        BUILTIN_PROFILES,
        OBJECT_TYPES,
        ObjectType,
        Profile,
    )

__all__ = [
    "ALLOWED_PRIVILEGES",
    "BUILTIN_PROFILES",
    "NAMESPACE",
    "OBJECT_TYPES",
    "PUBLIC",
    "SECRET_PLACEHOLDER",
    "AccessEntry",
    "AccessSpec",
    "AdminGroupConfig",
    "CapabilityRole",
    "CatalogConfig",
    "ConfigError",
    "ConfigIssue",
    "DatabaseConfig",
    "DefaultPrivilegeSpec",
    "ExpandedAccess",
    "FederatedCredential",
    "FirewallRule",
    "GrantConfig",
    "GrantSpec",
    "LocalConfig",
    "Membership",
    "NetworkConfig",
    "ObjectType",
    "PipelineConfig",
    "PrincipalConfig",
    "PrincipalKind",
    "PrincipalRole",
    "Profile",
    "ServerConfig",
    "StackConfig",
    "Target",
    "capability_role_name",
    "entra_label",
    "expand",
    "expand_access",
    "fold",
    "parse_access_spec",
    "parse_stack_config",
    "unsafe_text_problem",
]

# Each name and its module: loaded on first use (entra_pg/lazyexports.py).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "NAMESPACE": ".config",
        "AccessSpec": ".config",
        "AdminGroupConfig": ".config",
        "CatalogConfig": ".config",
        "DatabaseConfig": ".config",
        "FederatedCredential": ".config",
        "FirewallRule": ".config",
        "GrantConfig": ".config",
        "LocalConfig": ".config",
        "NetworkConfig": ".config",
        "PipelineConfig": ".config",
        "PrincipalConfig": ".config",
        "PrincipalKind": ".config",
        "ServerConfig": ".config",
        "StackConfig": ".config",
        "Target": ".config",
        "parse_access_spec": ".config",
        "parse_stack_config": ".config",
        "ConfigError": ".errors",
        "ConfigIssue": ".errors",
        "PUBLIC": ".expand",
        "AccessEntry": ".expand",
        "CapabilityRole": ".expand",
        "DefaultPrivilegeSpec": ".expand",
        "ExpandedAccess": ".expand",
        "GrantSpec": ".expand",
        "Membership": ".expand",
        "PrincipalRole": ".expand",
        "capability_role_name": ".expand",
        "entra_label": ".expand",
        "expand": ".expand",
        "expand_access": ".expand",
        "SECRET_PLACEHOLDER": ".identifiers",
        "fold": ".identifiers",
        "unsafe_text_problem": ".identifiers",
        "ALLOWED_PRIVILEGES": ".profiles",
        "BUILTIN_PROFILES": ".profiles",
        "OBJECT_TYPES": ".profiles",
        "ObjectType": ".profiles",
        "Profile": ".profiles",
    },
)
