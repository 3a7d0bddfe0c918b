"""azure-native-postgresql-server-diagnostic-setting (stack): the server's logs leave it.

Advisory. The login and audit trail is only useful where auditors read it: a server should
have a diagnostic setting (`azure-native:monitor:DiagnosticSetting`, its older
`azure-native:insights:DiagnosticSetting` alias, or any API-version token of either) that
1. targets the server: `resourceUri` is the server's id, ends in `/flexibleServers/<name>`
   (any case), or is taken from the server when not known yet;
2. sends logs: a `logs` entry with `enabled` true and `categoryGroup` `allLogs` or `audit`, or
   `category` `PostgreSQLLogs` (the category holding the server log, where log_connections
   and pgaudit write);
3. has a destination: `workspaceId`, `storageAccountId`, `eventHubAuthorizationRuleId` or
   `marketplacePartnerId`.
Sources: CIS Microsoft Azure Foundations Benchmark 3.0.0, 6.4 "Ensure that Azure Monitor
Resource Logging is Enabled for All Services that Support it"; Azure Policy 5fbd326d-328c-414e-
a922-2d6963998962 "Enable logging by category group for microsoft.dbforpostgresql/
flexibleservers to Log Analytics" and 78ed47da-513e-41e9-a088-e829b373281d "Deploy Diagnostic
Settings for PostgreSQL flexible servers to Log Analytics workspace"; Azure docs, "Configure
and access logs in Azure Database for PostgreSQL flexible server".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from .._links import enabled, of_type, points_at_server, reference, servers
from .._props import as_list, as_mapping, as_str, get
from .._rule import stack_rule
from .._tokens import AZ_DIAGNOSTIC_SETTING_TYPES

NAME = "azure-native-postgresql-server-diagnostic-setting"
LOG_GROUPS: Final = frozenset({"alllogs", "audit"})
LOG_CATEGORIES: Final = frozenset({"postgresqllogs"})
DESTINATIONS: Final = (
    "workspaceId",
    "storageAccountId",
    "eventHubAuthorizationRuleId",
    "marketplacePartnerId",
)


def sends_server_logs(setting: PolicyResource) -> bool:
    """Whether the setting enables the PostgreSQL log category (or a group holding it)."""
    for entry in as_list(get(setting.props, "logs"), ["logs"]):
        log = as_mapping(entry)
        if log is None or not enabled(get(log, "enabled")):
            continue
        group = (as_str(get(log, "categoryGroup")) or "").strip().lower()
        category = (as_str(get(log, "category")) or "").strip().lower()
        if group in LOG_GROUPS or category in LOG_CATEGORIES:
            return True
    return False


def has_destination(setting: PolicyResource) -> bool:
    """Whether the setting names somewhere to send to (a known id, or one taken from output)."""
    for prop in DESTINATIONS:
        values, urns = reference(setting, prop)
        if urns or any(v.strip() for v in values):
            return True
    return False


def settings_of(
    resources: Sequence[PolicyResource], server: PolicyResource
) -> list[PolicyResource]:
    """The diagnostic settings whose resourceUri is the server."""
    return [
        s
        for s in of_type(resources, *AZ_DIAGNOSTIC_SETTING_TYPES)
        if points_at_server(s, "resourceUri", server)
    ]


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports servers without a diagnostic setting that sends their logs somewhere."""
    resources = list(args.resources)
    for server in servers(resources):
        settings = settings_of(resources, server)
        if any(sends_server_logs(s) and has_destination(s) for s in settings):
            continue
        found = (
            f"its diagnostic setting(s) {', '.join(repr(s.name) for s in settings)} send no "
            "PostgreSQL logs anywhere"
            if settings
            else "no diagnostic setting targets it"
        )
        report_violation(
            f"Server '{server.name}': {found}. Add a DiagnosticSetting with resource_uri=the "
            "server's id, logs=[{category_group: 'allLogs', enabled: True}] and a Log "
            "Analytics workspace_id, so logins and privilege changes reach the auditors.",
            server.urn,
        )


POLICY = stack_rule(
    name=NAME,
    description=(
        "Every server should have a diagnostic setting sending its PostgreSQL logs to a "
        "workspace, storage account or event hub."
    ),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "audit", "logging"],
    remediation_steps=(
        "Declare azure-native monitor.DiagnosticSetting(resource_uri=server.id, "
        "workspace_id=<Log Analytics workspace id>, logs=[{'category_group': 'allLogs', "
        "'enabled': True}]); the FlexibleServer component does this from its diagnostics "
        "config."
    ),
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/"
        "how-to-configure-and-access-logs"
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
)
