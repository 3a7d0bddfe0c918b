"""Reusable Pulumi components of entra-postgres.

- `EntraAccess`: access-catalog app, groups, workload and pipeline identities (Entra ID).
- `FlexibleServer`: the Azure PostgreSQL Flexible Server, Entra-only, group admin, TLS.
- `DatabaseAccess`: owner, capability and principal roles, labels, grants (PostgreSQL only).
"""

from ._util import ComponentInputError
from .database_access import (
    ConnectionArgs,
    DatabaseAccess,
    DatabaseAccessArgs,
    DatabaseSpecArgs,
    GrantSpecArgs,
    PrincipalSpecArgs,
    ProfileSpecArgs,
)
from .entra import (
    ApplicationIdentityArgs,
    AppRoleArgs,
    EntraAccess,
    EntraAccessArgs,
    EntraGroupArgs,
    ExistingPrincipalArgs,
    FederatedCredentialArgs,
    PipelineIdentityArgs,
)
from .server import FirewallRuleArgs, FlexibleServer, FlexibleServerArgs

__all__ = [
    "AppRoleArgs",
    "ApplicationIdentityArgs",
    "ComponentInputError",
    "ConnectionArgs",
    "DatabaseAccess",
    "DatabaseAccessArgs",
    "DatabaseSpecArgs",
    "EntraAccess",
    "EntraAccessArgs",
    "EntraGroupArgs",
    "ExistingPrincipalArgs",
    "FederatedCredentialArgs",
    "FirewallRuleArgs",
    "FlexibleServer",
    "FlexibleServerArgs",
    "GrantSpecArgs",
    "PipelineIdentityArgs",
    "PrincipalSpecArgs",
    "ProfileSpecArgs",
]
