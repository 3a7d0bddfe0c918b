"""The server's audit trail: logs out to Log Analytics, pgaudit on, restarts where needed.

Declared by `FlexibleServer` as its children. What it records and why is described in
`entra_pg.model.trail`; this module only turns that into Azure resources, in the order
Azure needs:

1. a Log Analytics workspace (unless an existing one is referenced) and a diagnostic
   setting that sends the server's `allLogs` category group there (and optionally to a
   storage account); it does not touch the server itself, so it runs beside the parameters;
2. the trail's server parameters, appended to the server's own chain (parallel parameter
   updates fail with ServerBusy);
3. right after `shared_preload_libraries`, a restart of the server (a static parameter only
   takes effect then, and `CREATE EXTENSION pgaudit` fails until it has); the restart is a
   `command:local:Command` that re-runs only when the library list changes, so the plan and
   the access diff show it;
4. pgaudit's own parameters (they exist once the library is loaded).
"""


from typing import NotRequired, TypedDict

import pulumi
import pulumi_command as command
from pulumi_azure_native import dbforpostgresql as pg
from pulumi_azure_native import monitor, operationalinsights

from entra_pg.model.identifiers import slug
from entra_pg.model.trail import (
    AZURE_DEFAULT_PRELOAD,
    HIGH_VOLUME_CLASSES,
    PGAUDIT_CLASSES,
    AuditTrailConfig,
    LogAnalyticsConfig,
    PgauditConfig,
    trail_parameters,
)

__all__ = ["AuditTrailArgs", "AuditTrailResources", "declare_audit_trail", "trail_config"]

#: The restart runs the Azure CLI of whoever runs `pulumi up` (the pipeline is logged in by
#: azure/login). Names come in through the environment, never spliced into the script.
_RESTART_SCRIPT = (
    'az postgres flexible-server restart --resource-group "$PG_RESOURCE_GROUP" '
    '--name "$PG_SERVER_NAME" --only-show-errors'
)


class AuditTrailArgs(TypedDict):
    """Where the server's logs go and what pgaudit records. Everything defaults to on."""

    enabled: NotRequired[bool]
    """(Optional) Opt-out: `False` declares no diagnostic setting and no pgaudit. Default
    true."""
    workspace_id: NotRequired[pulumi.Input[str]]
    """(Optional) ARM id of an existing Log Analytics workspace. Default: the component
    creates one."""
    workspace_name: NotRequired[str]
    """(Optional) Name of the workspace the component creates. Default `<server>-logs`."""
    retention_days: NotRequired[int]
    """(Optional) Retention of the created workspace, 30-730 days. Default 30."""
    storage_account_id: NotRequired[pulumi.Input[str]]
    """(Optional) ARM id of a storage account that also receives the logs (archive)."""
    pgaudit: NotRequired[bool]
    """(Optional) Opt-out: `False` keeps pgaudit unloaded. Default true."""
    pgaudit_log: NotRequired[list[str]]
    """(Optional) pgaudit statement classes. Default `["role", "ddl"]`."""
    allow_high_volume: NotRequired[bool]
    """(Optional) Opt-in to `read`, `write`, `function` or `all` (every query or call is
    logged). Default false."""
    preload_libraries: NotRequired[list[str]]
    """(Optional) Other libraries kept in `shared_preload_libraries`. Default Azure's
    `["pg_cron", "pg_stat_statements"]`."""
    restart: NotRequired[bool]
    """(Optional) Restart the server through the Azure CLI when the preloaded libraries
    change. Default true; with false, restart it yourself before pgaudit can be created."""


class AuditTrailResources:
    """What `declare_audit_trail` made: the end of the parameter chain, the workspace id
    (None with the trail off) and whether pgaudit is loaded."""

    def __init__(
        self, last: pulumi.Resource, workspace_id: pulumi.Output[str] | None, pgaudit_on: bool
    ) -> None:
        self.last = last
        self.workspace_id = workspace_id
        self.pgaudit_on = pgaudit_on


def trail_config(component: str, args: AuditTrailArgs) -> AuditTrailConfig:
    """The model's view of `args` (plain values only), validated like the stack config.

    Raises ValueError naming the component and the input when a value is out of range.
    """
    classes = tuple(args.get("pgaudit_log", ["role", "ddl"]))
    unknown = [c for c in classes if c not in PGAUDIT_CLASSES]
    if unknown or not classes:
        raise ValueError(
            f"FlexibleServer({component}): audit_trail.pgaudit_log {list(classes)!r} must list "
            f"classes among {', '.join(PGAUDIT_CLASSES)}"
        )
    loud = sorted(set(classes) & HIGH_VOLUME_CLASSES)
    if loud and not args.get("allow_high_volume", False):
        raise ValueError(
            f"FlexibleServer({component}): audit_trail.pgaudit_log has {', '.join(loud)}, which "
            "log every query or call; set allow_high_volume=True to opt in"
        )
    retention = args.get("retention_days", 30)
    if not 30 <= retention <= 730:
        raise ValueError(
            f"FlexibleServer({component}): audit_trail.retention_days must be 30-730, "
            f"got {retention}"
        )
    return AuditTrailConfig(
        enabled=args.get("enabled", True),
        log_analytics=LogAnalyticsConfig(
            workspace_name=args.get("workspace_name"), retention_days=retention
        ),
        pgaudit=PgauditConfig(
            enabled=args.get("pgaudit", True),
            log=classes,
            allow_high_volume=args.get("allow_high_volume", False),
        ),
        preload_libraries=tuple(args.get("preload_libraries", list(AZURE_DEFAULT_PRELOAD))),
    )


def declare_audit_trail(
    name: str,
    *,
    parent: pulumi.Resource,
    server: pg.Server,
    server_name: str,
    resource_group_name: pulumi.Input[str],
    location: pulumi.Input[str] | None,
    args: AuditTrailArgs,
    after: pulumi.Resource,
    tags: dict[str, str] | None = None,
) -> AuditTrailResources:
    """Declare the trail for `server`, its parameters chained after `after`."""
    trail = trail_config(name, args)
    if not trail.enabled:
        return AuditTrailResources(after, None, False)

    workspace_id: pulumi.Output[str]
    if args.get("workspace_id") is not None:
        workspace_id = pulumi.Output.from_input(args["workspace_id"])
    else:
        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=trail.workspace_name_for(server_name),
            resource_group_name=resource_group_name,
            location=location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=trail.log_analytics.retention_days,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        workspace_id = workspace.id
    monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name=f"{server_name}-audit-trail",
        resource_uri=server.id,
        workspace_id=workspace_id,
        storage_account_id=args.get("storage_account_id"),
        # Resource-specific tables (PGSQLServerLogs, ...) instead of the shared
        # AzureDiagnostics table: typed columns, and the README's queries use them.
        log_analytics_destination_type="Dedicated",
        # allLogs: PostgreSQLLogs (connections, pgaudit lines) and the session categories.
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
        opts=pulumi.ResourceOptions(parent=parent),
    )

    last = after
    for setting, value in trail_parameters(trail):
        last = pg.Configuration(
            f"{name}-config-{slug(setting)}",
            server_name=server.name,
            resource_group_name=resource_group_name,
            configuration_name=setting,
            value=value,
            source="user-override",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[last]),
        )
        if setting == "shared_preload_libraries" and args.get("restart", True):
            last = command.local.Command(
                f"{name}-restart-for-preload",
                create=_RESTART_SCRIPT,
                environment={
                    "PG_RESOURCE_GROUP": resource_group_name,
                    "PG_SERVER_NAME": server.name,
                },
                # Re-run only when the loaded libraries change.
                triggers=[value],
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[last]),
            )
    return AuditTrailResources(last, workspace_id, trail.pgaudit_on)
