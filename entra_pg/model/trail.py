"""The audit trail: where the server's logs go and what pgaudit records (`auditTrail`).

Entra-only logins say *who may* connect; the trail says who did. Two parts, both on by
default (the caller opts out, visibly):

- a diagnostic setting that sends the server's PostgreSQL logs (category group `allLogs`) to
  a Log Analytics workspace, created by the stack or referenced by id, and optionally to a
  storage account for long retention;
- pgaudit session logging of role and DDL statements (`pgaudit.log = role, ddl`), loaded
  through `shared_preload_libraries` (a static parameter: the server restarts) and created
  in every managed database, with a `log_line_prefix` that names the user and database on
  every line, so each line names the Entra principal.

Pure: `read_audit_trail` validates the section with the stack config's reader, and
`trail_parameters` is the single list of server parameters that the FlexibleServer
component declares and that the real-PostgreSQL test applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the reader lives in config.py, which imports this module
    from .config import _Reader

__all__ = [
    "AZURE_DEFAULT_PRELOAD",
    "HIGH_VOLUME_CLASSES",
    "LOG_LINE_PREFIX",
    "PGAUDIT_CLASSES",
    "AuditTrailConfig",
    "LogAnalyticsConfig",
    "PgauditConfig",
    "read_audit_trail",
    "trail_parameters",
]

#: pgaudit's statement classes (pgaudit README, "pgaudit.log").
PGAUDIT_CLASSES: Final = ("read", "write", "function", "role", "ddl", "misc", "misc_set", "all")
#: Classes that log every query or call: on a busy server gigabytes a day. Opt-in only.
HIGH_VOLUME_CLASSES: Final = frozenset({"read", "write", "function", "all"})
DEFAULT_PGAUDIT_LOG: Final[tuple[str, ...]] = ("role", "ddl")
#: The libraries Azure preloads by default; `shared_preload_libraries` replaces the whole
#: list, so they are kept unless the stack says otherwise.
AZURE_DEFAULT_PRELOAD: Final[tuple[str, ...]] = ("pg_cron", "pg_stat_statements")
#: Every line names the session's user (the Entra principal's role), database, client host
#: and application. `%q` ends the prefix for background processes, which have none of them.
LOG_LINE_PREFIX: Final = "%m [%p] %quser=%u db=%d host=%h app=%a "
#: Log Analytics retention bounds (Microsoft.OperationalInsights/workspaces retentionInDays).
MIN_RETENTION_DAYS: Final = 30
MAX_RETENTION_DAYS: Final = 730
_LIBRARY = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]")
_ARM_ID = re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+", re.I)


@dataclass(frozen=True)
class LogAnalyticsConfig:
    """The Log Analytics workspace the logs go to.

    `workspace_id` references an existing workspace (an ARM id); otherwise the stack creates
    one named `workspace_name` (default `<server>-logs`) with `retention_days`.
    """

    workspace_id: str | None = None
    workspace_name: str | None = None
    retention_days: int = MIN_RETENTION_DAYS


@dataclass(frozen=True)
class PgauditConfig:
    """pgaudit session logging. `log_parameter` is always off: parameters carry data."""

    enabled: bool = True
    log: tuple[str, ...] = DEFAULT_PGAUDIT_LOG
    allow_high_volume: bool = False


@dataclass(frozen=True)
class AuditTrailConfig:
    """The whole `auditTrail` section; the defaults are the secure choice."""

    enabled: bool = True
    log_analytics: LogAnalyticsConfig = field(default_factory=LogAnalyticsConfig)
    storage_account_id: str | None = None
    pgaudit: PgauditConfig = field(default_factory=PgauditConfig)
    preload_libraries: tuple[str, ...] = AZURE_DEFAULT_PRELOAD

    @property
    def pgaudit_on(self) -> bool:
        """True when pgaudit is loaded, configured and created in every database."""
        return self.enabled and self.pgaudit.enabled

    def workspace_name_for(self, server_name: str) -> str:
        """The name of the workspace the stack creates (unused with `workspace_id`)."""
        return self.log_analytics.workspace_name or f"{server_name}-logs"

    def describe(self, server_name: str) -> list[str]:
        """One line per fact a reviewer or auditor asks about: where the trail goes."""
        if not self.enabled:
            return [
                "OFF (auditTrail.enabled: false): no diagnostic setting, no pgaudit; "
                "logins and privilege changes stay on the server only"
            ]
        la = self.log_analytics
        where = (
            f"existing Log Analytics workspace {la.workspace_id}"
            if la.workspace_id
            else f"Log Analytics workspace {self.workspace_name_for(server_name)} "
            f"(created, {la.retention_days} days retention)"
        )
        lines = [f"server logs (allLogs) -> {where}"]
        if self.storage_account_id:
            lines.append(f"archived to storage account {self.storage_account_id}")
        if self.pgaudit_on:
            lines.append(
                f"pgaudit.log = {', '.join(self.pgaudit.log)} in every managed database "
                "(shared_preload_libraries change: the server restarts)"
            )
        else:
            lines.append("pgaudit OFF (auditTrail.pgaudit.enabled: false): no role/DDL trail")
        lines.append(f"log_line_prefix names user and database: {LOG_LINE_PREFIX!r}")
        return lines


def trail_parameters(trail: AuditTrailConfig) -> list[tuple[str, str]]:
    """Server parameters for the trail, in the order they must be applied.

    `azure.extensions` allow-lists pgaudit before `shared_preload_libraries` loads it, and
    pgaudit's own parameters come after both. Connection logging is declared by the server
    itself (it is part of the secure baseline, trail or not).
    """
    params: list[tuple[str, str]] = [("log_line_prefix", LOG_LINE_PREFIX)]
    if not trail.pgaudit_on:
        return params
    preload = [lib for lib in trail.preload_libraries if lib != "pgaudit"] + ["pgaudit"]
    params += [
        ("azure.extensions", "PGAUDIT"),
        ("shared_preload_libraries", ",".join(preload)),
        ("pgaudit.log", ",".join(trail.pgaudit.log)),
        # Statement parameters carry the data itself (values, sometimes secrets).
        ("pgaudit.log_parameter", "off"),
    ]
    return params


def read_audit_trail(r: _Reader, path: str, raw: object) -> AuditTrailConfig:
    """Validate the `auditTrail` section; every problem goes to `r` with its path."""
    if raw is None:
        return AuditTrailConfig()
    m = r.mapping(
        path,
        raw,
        allowed=("enabled", "logAnalytics", "storageAccountId", "pgaudit", "preloadLibraries"),
    )
    if m is None:
        return AuditTrailConfig()
    enabled = r.boolean(f"{path}.enabled", m.get("enabled"), True)
    log_analytics = _log_analytics(r, f"{path}.logAnalytics", m.get("logAnalytics"))
    storage = r.string(f"{path}.storageAccountId", m.get("storageAccountId"))
    if storage is not None and not _ARM_ID.fullmatch(storage):
        r.issue(
            f"{path}.storageAccountId",
            f"{storage!r} is not an Azure resource id",
            "give /subscriptions/<id>/resourceGroups/<rg>/providers/"
            "Microsoft.Storage/storageAccounts/<name>",
        )
        storage = None
    pgaudit = _pgaudit(r, f"{path}.pgaudit", m.get("pgaudit"))
    preload = AZURE_DEFAULT_PRELOAD
    if m.get("preloadLibraries") is not None:
        items = r.sequence(f"{path}.preloadLibraries", m.get("preloadLibraries"))
        libs = []
        for i, item in enumerate(items):
            lib = r.string(f"{path}.preloadLibraries[{i}]", item)
            if lib is not None and not _LIBRARY.fullmatch(lib):
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


def _log_analytics(r: _Reader, path: str, raw: object) -> LogAnalyticsConfig:
    if raw is None:
        return LogAnalyticsConfig()
    m = r.mapping(path, raw, allowed=("workspaceId", "workspaceName", "retentionDays"))
    if m is None:
        return LogAnalyticsConfig()
    workspace_id = r.string(f"{path}.workspaceId", m.get("workspaceId"))
    if workspace_id is not None and not _ARM_ID.fullmatch(workspace_id):
        r.issue(
            f"{path}.workspaceId",
            f"{workspace_id!r} is not an Azure resource id",
            "give /subscriptions/<id>/resourceGroups/<rg>/providers/"
            "Microsoft.OperationalInsights/workspaces/<name>",
        )
        workspace_id = None
    name = r.string(f"{path}.workspaceName", m.get("workspaceName"))
    if name is not None and not _WORKSPACE_NAME.fullmatch(name):
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
    retention = r.integer(
        f"{path}.retentionDays",
        m.get("retentionDays"),
        MIN_RETENTION_DAYS,
        MIN_RETENTION_DAYS,
        MAX_RETENTION_DAYS,
    )
    return LogAnalyticsConfig(
        workspace_id=workspace_id, workspace_name=name, retention_days=retention
    )


def _pgaudit(r: _Reader, path: str, raw: object) -> PgauditConfig:
    if raw is None:
        return PgauditConfig()
    m = r.mapping(path, raw, allowed=("enabled", "log", "allowHighVolume"))
    if m is None:
        return PgauditConfig()
    enabled = r.boolean(f"{path}.enabled", m.get("enabled"), True)
    allow_high = r.boolean(f"{path}.allowHighVolume", m.get("allowHighVolume"), False)
    classes: tuple[str, ...] = DEFAULT_PGAUDIT_LOG
    if m.get("log") is not None:
        chosen: list[str] = []
        for i, item in enumerate(r.sequence(f"{path}.log", m.get("log"))):
            value = r.choice(f"{path}.log[{i}]", item, PGAUDIT_CLASSES, "")
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
