"""Reader of `auditTrail`: where the server's logs go and what pgaudit records.

The model of the trail (its frozen config, defaults, the server parameters it becomes) is
`entra_pg.model.trail`; this reads the section with the keys, types and bounds `spec`
declares for it and adds what a type cannot say.
"""

from __future__ import annotations

import re

from ..trail import (
    ARM_ID,
    AZURE_DEFAULT_PRELOAD,
    DEFAULT_PGAUDIT_LOG,
    HIGH_VOLUME_CLASSES,
    LIBRARY_NAME,
    WORKSPACE_NAME,
    AuditTrailConfig,
    LogAnalyticsConfig,
    PgauditConfig,
)
from .kinds import Choice, ListOf
from .reader import Reader, max_items
from .spec import AUDIT_TRAIL, LOG_ANALYTICS, PGAUDIT

__all__ = ["read_audit_trail"]


def read_audit_trail(r: Reader, path: str, raw: object) -> AuditTrailConfig:
    """Validate the `auditTrail` section; every problem goes to `r` with its path."""
    if raw is None:
        return AuditTrailConfig()
    m = r.section(path, raw, AUDIT_TRAIL)
    if m is None:
        return AuditTrailConfig()
    enabled = r.field(path, m, AUDIT_TRAIL["enabled"])
    log_analytics = _log_analytics(r, f"{path}.logAnalytics", m.get("logAnalytics"))
    storage = r.field(path, m, AUDIT_TRAIL["storageAccountId"])
    storage = _arm_id(
        r, f"{path}.storageAccountId", storage, "Microsoft.Storage/storageAccounts/<name>"
    )
    pgaudit = _pgaudit(r, f"{path}.pgaudit", m.get("pgaudit"))
    preload = AZURE_DEFAULT_PRELOAD
    if m.get("preloadLibraries") is not None:
        items = r.sequence(
            f"{path}.preloadLibraries",
            m.get("preloadLibraries"),
            max_items(AUDIT_TRAIL["preloadLibraries"]),
        )
        libs = []
        for i, item in enumerate(items):
            lib = r.string(f"{path}.preloadLibraries[{i}]", item)
            if lib is not None and not re.fullmatch(LIBRARY_NAME, lib):
                r.issue(
                    f"{path}.preloadLibraries[{i}]",
                    f"{lib!r} is not a library name",
                    "use Azure's names, e.g. pg_cron, pg_stat_statements",
                )
            elif lib is not None:
                libs.append(lib)
        preload = tuple(libs)
    if not enabled and (m.get("pgaudit") is not None or m.get("logAnalytics") is not None):
        r.issue(
            f"{path}.enabled",
            "the audit trail is off, yet logAnalytics or pgaudit settings are given",
            "remove them, or remove enabled: false",
        )
    return AuditTrailConfig(
        enabled=enabled,
        log_analytics=log_analytics,
        storage_account_id=storage,
        pgaudit=pgaudit,
        preload_libraries=preload,
    )


def _arm_id(r: Reader, path: str, value: str | None, kind: str) -> str | None:
    """`value` when it is an Azure resource id (or absent); else an issue at `path` and None."""
    if value is not None and not re.fullmatch(ARM_ID, value, re.I):
        r.issue(
            path,
            f"{value!r} is not an Azure resource id",
            f"give /subscriptions/<id>/resourceGroups/<rg>/providers/{kind}",
        )
        return None
    return value


def _log_analytics(r: Reader, path: str, raw: object) -> LogAnalyticsConfig:
    if raw is None:
        return LogAnalyticsConfig()
    m = r.section(path, raw, LOG_ANALYTICS)
    if m is None:
        return LogAnalyticsConfig()
    workspace_id = r.field(path, m, LOG_ANALYTICS["workspaceId"])
    workspace_id = _arm_id(
        r, f"{path}.workspaceId", workspace_id, "Microsoft.OperationalInsights/workspaces/<name>"
    )
    name = r.field(path, m, LOG_ANALYTICS["workspaceName"])
    if name is not None and not re.fullmatch(WORKSPACE_NAME, name):
        r.issue(
            f"{path}.workspaceName",
            f"{name!r} is not a valid workspace name",
            "use 4-63 letters, digits and hyphens, starting and ending with a letter or digit",
        )
        name = None
    if m.get("workspaceId") is not None and (
        m.get("workspaceName") is not None or m.get("retentionDays") is not None
    ):
        r.issue(
            path,
            "workspaceId references an existing workspace; workspaceName and retentionDays "
            "are for a workspace the stack creates",
            "keep workspaceId alone, or drop it to create a workspace",
        )
    retention = r.field(path, m, LOG_ANALYTICS["retentionDays"])
    return LogAnalyticsConfig(
        workspace_id=workspace_id, workspace_name=name, retention_days=retention
    )


def _pgaudit(r: Reader, path: str, raw: object) -> PgauditConfig:
    if raw is None:
        return PgauditConfig()
    m = r.section(path, raw, PGAUDIT)
    if m is None:
        return PgauditConfig()
    enabled = r.field(path, m, PGAUDIT["enabled"])
    allow_high = r.field(path, m, PGAUDIT["allowHighVolume"])
    classes: tuple[str, ...] = DEFAULT_PGAUDIT_LOG
    spec = PGAUDIT["log"].type
    if not isinstance(spec, ListOf) or not isinstance(spec.item, Choice):
        raise TypeError("pgaudit.log is declared as a list of choices")
    if m.get("log") is not None:
        chosen: list[str] = []
        for i, item in enumerate(r.sequence(f"{path}.log", m.get("log"), spec.max_items)):
            value = r.choice(f"{path}.log[{i}]", item, spec.item, "")
            if value and value not in chosen:
                chosen.append(value)
        if not chosen and enabled:
            r.issue(
                f"{path}.log",
                "no statement class to log",
                "list at least one class (default: role, ddl), or set enabled: false",
            )
        loud = sorted(set(chosen) & HIGH_VOLUME_CLASSES)
        if loud and not allow_high:
            r.issue(
                f"{path}.log",
                f"{', '.join(loud)} log every query or call (gigabytes a day on a busy server)",
                f"set {path}.allowHighVolume: true to opt in, or log role and ddl only",
            )
        classes = tuple(chosen) or DEFAULT_PGAUDIT_LOG
    return PgauditConfig(enabled=enabled, log=classes, allow_high_volume=allow_high)
