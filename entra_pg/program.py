"""The stack program's wiring: stack config in, components out.

`__main__.py` stays a thin composition root; this module reads the `entra-postgres`
namespace the way the engine passes it, validates it with the access model and translates
the validated model into component inputs.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azuread as azuread

from entra_pg.model import (
    NAMESPACE,
    ConfigError,
    ConfigIssue,
    LocalConfig,
    StackConfig,
    parse_stack_config,
)
from entra_pg.model.trail import AuditTrailConfig

if TYPE_CHECKING:
    # mypy reads the checkout, where the package is the top-level folder `components/`; at run
    # time it is `entra_pg.components` (installed under that name, served so in a checkout:
    # see entra_pg/__init__.py), which a consumer's own `components/` cannot shadow.
    from components import (
        ConnectionArgs,
        DatabaseAccess,
        DatabaseAccessArgs,
        EntraAccess,
        EntraAccessArgs,
        FlexibleServer,
        FlexibleServerArgs,
        PrincipalSpecArgs,
        ProfileSpecArgs,
    )
    from components.audit_trail import AuditTrailArgs
else:
    from entra_pg.components import (
        ConnectionArgs,
        DatabaseAccess,
        DatabaseAccessArgs,
        EntraAccess,
        EntraAccessArgs,
        FlexibleServer,
        FlexibleServerArgs,
        PrincipalSpecArgs,
        ProfileSpecArgs,
    )
    from entra_pg.components.audit_trail import AuditTrailArgs

__all__ = ["ProgramConfigError", "build", "load_stack_config", "read_namespace"]


class ProgramConfigError(pulumi.RunError):
    """The stack config is invalid; raised before any resource is declared.

    A `pulumi.RunError`, so `pulumi up` prints the message without a traceback;
    `config_error` holds the issues (path, message, fix).
    """

    def __init__(self, error: ConfigError) -> None:
        self.config_error = error
        super().__init__(error.render())


def read_namespace() -> dict[str, Any]:
    """Every key of the `entra-postgres` namespace with its decoded value.

    The engine passes config as strings (structured values JSON-encoded), either set in the
    runtime's config map or in PULUMI_CONFIG. All keys are read, not just the known ones, so
    that a misspelt key is reported instead of silently ignored.
    """
    merged: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    # The runtime's own map wins, as in `pulumi.Config`.
    merged.update(pulumi.runtime.config.CONFIG.get())
    prefix = f"{NAMESPACE}:"
    out: dict[str, Any] = {}
    for key, value in merged.items():
        if not key.startswith(prefix):
            continue
        if isinstance(value, str):
            # Else a plain string value (text that merely looks like deep JSON included).
            with contextlib.suppress(ValueError, RecursionError):
                value = json.loads(value)
        out[key[len(prefix) :]] = value
    return out


def load_stack_config() -> StackConfig:
    """Validate the namespace; raise `ProgramConfigError` listing every problem.

    Nothing in the namespace is secret (names, ids and settings that PostgreSQL, Entra and
    Azure show to whoever can list them), so a key holding a `secure:` value is refused
    too: offline its value is a placeholder the model already refuses where it appears;
    under the real engine it would be decrypted into a role or resource name.
    """
    try:
        namespace = read_namespace()
        config = parse_stack_config(namespace)
    except ConfigError as error:
        raise ProgramConfigError(error) from None
    secret = [
        f"{NAMESPACE}:{key}"
        for key in sorted(namespace)
        if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
    ]
    if secret:
        raise ProgramConfigError(
            ConfigError(
                ConfigIssue(
                    key,
                    "holds a `secure:` value, but nothing in this namespace is secret: names "
                    "and ids become role, group and resource names anyone with read access "
                    "sees, so encrypting them hides nothing",
                    "write the values in plain text, without `secure:`",
                )
                for key in secret
            )
        )
    return config


def build(config: StackConfig) -> dict[str, pulumi.Input[Any]]:
    """Declare the stack's resources; returns the stack outputs to export.

    Every secure default the config opts out of is logged as a warning first, so it shows
    in `pulumi preview`/`up` and in the offline plan, not only in the stack file.
    """
    for opt_out in config.opt_outs():
        pulumi.log.warn(f"secure default opted out: {opt_out}")
    access = _access_args(config)
    if config.target == "local":
        return _build_local(config, access)
    return _build_azure(config, access)


def _profiles(config: StackConfig) -> dict[str, ProfileSpecArgs]:
    return {
        name: {
            "description": p.description,
            "privileges": {ot: list(privs) for ot, privs in p.privileges.items()},
            "future_objects": p.future_objects,
        }
        for name, p in config.profiles.items()
        if name not in ("read", "write", "ddl")
    }


def _access_args(config: StackConfig) -> dict[str, Any]:
    return {
        "databases": [
            {"name": db.name, "schemas": list(db.schemas), "owner": db.owner_role}
            for db in config.databases
        ],
        "profiles": _profiles(config),
    }


def _principals(config: StackConfig, entra: EntraAccess | None) -> list[PrincipalSpecArgs]:
    out: list[PrincipalSpecArgs] = []
    for p in config.access:
        oid: pulumi.Input[str]
        if p.object_id is not None:
            oid = p.object_id
        elif entra is not None:
            # That principal's own output: its label depends on nothing else.
            oid = entra.object_id_of(p.name)
        else:
            # The local target has no Entra: created principals have no object id, and the
            # roles carry no label, so a stable placeholder keeps the inputs well formed.
            oid = "00000000-0000-0000-0000-000000000000"
        out.append(
            {
                "name": p.name,
                "type": p.label_type,
                "object_id": oid,
                "migration": p.migration,
                "grants": [
                    {"database": g.database, "profile": g.profile, "schemas": list(g.schemas)}
                    for g in p.grants
                ],
            }
        )
    return out


def _build_local(config: StackConfig, access: dict[str, Any]) -> dict[str, pulumi.Input[Any]]:
    local = config.local or LocalConfig()
    connection: ConnectionArgs = {
        "host": local.host,
        "port": local.port,
        "username": local.username,
        "database": local.database,
        "sslmode": local.sslmode,
    }
    # The password never sits in config: it comes from the environment, as a secret.
    password = os.environ.get("PGPASSWORD")
    if password:
        connection["password"] = pulumi.Output.secret(password)
    args: DatabaseAccessArgs = {
        "connection": connection,
        "databases": access["databases"],
        "profiles": access["profiles"],
        "principals": _principals(config, None),
        "create_databases": True,
        "entra_auth": False,
        # A local server usually has no TLS; visible here, never the default.
        "allow_insecure_connection": local.sslmode not in ("require", "verify-ca", "verify-full"),
    }
    db_access = DatabaseAccess("local", args)
    return {"target": "local", "roles": db_access.role_names}


def _build_azure(config: StackConfig, access: dict[str, Any]) -> dict[str, pulumi.Input[Any]]:
    server_cfg, admins, pipeline, catalog = (
        config.server,
        config.admins,
        config.pipeline,
        config.catalog,
    )
    if server_cfg is None or admins is None or pipeline is None or catalog is None:
        # parse_stack_config guarantees them for the azure target; this guards misuse.
        raise ValueError("the azure target needs server, admins, pipeline and catalog")
    name = server_cfg.name
    client = azuread.get_client_config_output()

    profiles_by_principal: dict[str, list[str]] = {
        p.name: sorted({g.profile for g in p.grants}) for p in config.access
    }
    entra_args: EntraAccessArgs = {
        "catalog_name": catalog.display_name,
        "assign_app_roles": catalog.assign_roles,
        "app_roles": [
            {"value": p.name, "description": p.description}
            for p in sorted(config.profiles.values(), key=lambda p: p.name)
        ],
        "admin_group": {
            "display_name": admins.display_name,
            "owners": list(admins.owners),
            "members": list(admins.members),
            "description": f"Entra admins of PostgreSQL server {name}.",
        },
        "pipeline": {
            "display_name": pipeline.display_name,
            "repository": pipeline.repository,
            "environment": pipeline.environment,
        },
        "groups": [
            {
                "display_name": p.name,
                "owners": list(p.owners),
                "members": list(p.members),
                "description": p.description,
                "app_roles": profiles_by_principal[p.name],
            }
            for p in config.access
            if p.kind == "group"
        ],
        "applications": [
            {
                "display_name": p.name,
                "owners": list(p.owners),
                "description": p.description,
                "federated_credentials": [
                    {"name": c.name, "subject": c.subject, "issuer": c.issuer}
                    for c in p.federated_credentials
                ],
                "app_roles": profiles_by_principal[p.name],
            }
            for p in config.access
            if p.kind == "application"
        ],
        "existing_principals": [
            {"name": p.name, "object_id": p.object_id, "app_roles": profiles_by_principal[p.name]}
            for p in config.access
            if p.object_id is not None
        ],
    }
    entra = EntraAccess(name, entra_args)

    resource_group: pulumi.Input[str] = server_cfg.resource_group
    if server_cfg.create_resource_group:
        rg = azure_native.resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=server_cfg.resource_group,
            location=server_cfg.location,
            tags=dict(server_cfg.tags),
        )
        resource_group = rg.name
    net = server_cfg.network
    server_args: FlexibleServerArgs = {
        "server_name": server_cfg.name,
        "resource_group_name": resource_group,
        "tenant_id": client.tenant_id,
        "admin_group_object_id": entra.admin_group_object_id,
        "admin_group_name": entra.admin_group_name,
        "version": server_cfg.version,
        "sku_name": server_cfg.sku_name,
        "sku_tier": server_cfg.sku_tier,
        "storage_gb": server_cfg.storage_gb,
        "backup_retention_days": server_cfg.backup_retention_days,
        "databases": [db.name for db in config.databases],
        "public_network_access": net.public_access,
        "firewall_rules": [
            {"name": r.name, "start_ip": r.start_ip, "end_ip": r.end_ip} for r in net.firewall_rules
        ],
        "tls_min_version": server_cfg.tls_min_version,
        "group_sync": server_cfg.group_sync,
        "tags": dict(server_cfg.tags),
    }
    if server_cfg.location:
        server_args["location"] = server_cfg.location
    if net.delegated_subnet_id:
        server_args["delegated_subnet_id"] = net.delegated_subnet_id
    if net.private_dns_zone_id:
        server_args["private_dns_zone_id"] = net.private_dns_zone_id
    trail = config.audit_trail or AuditTrailConfig()
    server_args["audit_trail"] = _audit_trail_args(trail)
    server = FlexibleServer(name, server_args)

    db_args: DatabaseAccessArgs = {
        "connection": {
            "host": server.fqdn,
            "username": entra.admin_group_name,
            "sslmode": "require",
            "azure_tenant_id": client.tenant_id,
        },
        "databases": access["databases"],
        "profiles": access["profiles"],
        "principals": _principals(config, entra),
        "extensions": ["pgaudit"] if trail.pgaudit_on else [],
    }
    # The roles can only be made once the server, its Entra admin and its databases exist.
    db_access = DatabaseAccess(name, db_args, pulumi.ResourceOptions(depends_on=[server]))
    return {
        "target": "azure",
        "server_fqdn": server.fqdn,
        "admin_group": entra.admin_group_name,
        "pipeline_client_id": entra.pipeline_client_id,
        "catalog_client_id": entra.catalog_client_id,
        "roles": db_access.role_names,
        # Where logins and privilege changes are recorded: read by reviewers in the plan
        # and by auditors in the stack outputs.
        "audit_trail": trail.describe(server_cfg.name),
        "log_analytics_workspace_id": server.log_analytics_workspace_id,
    }


def _audit_trail_args(trail: AuditTrailConfig) -> AuditTrailArgs:
    """The FlexibleServer's `audit_trail` input for the validated `auditTrail` section."""
    args: AuditTrailArgs = {
        "enabled": trail.enabled,
        "retention_days": trail.log_analytics.retention_days,
        "pgaudit": trail.pgaudit.enabled,
        "pgaudit_log": list(trail.pgaudit.log),
        "allow_high_volume": trail.pgaudit.allow_high_volume,
        "preload_libraries": list(trail.preload_libraries),
    }
    if trail.log_analytics.workspace_id:
        args["workspace_id"] = trail.log_analytics.workspace_id
    if trail.log_analytics.workspace_name:
        args["workspace_name"] = trail.log_analytics.workspace_name
    if trail.storage_account_id:
        args["storage_account_id"] = trail.storage_account_id
    return args
