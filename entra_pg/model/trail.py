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

Pure: `entra_pg.model.config.audit_trail` reads the section (its keys, types and bounds are
declared with every other section in `config/spec.py`), and `trail_parameters` is the
single list of server parameters that the FlexibleServer component declares and that the
real-PostgreSQL test applies.
"""

from __future__ import annotations

from typing import Final

import msgspec

__all__ = [
    "ARM_ID",
    "AZURE_DEFAULT_PRELOAD",
    "DEFAULT_PGAUDIT_LOG",
    "HIGH_VOLUME_CLASSES",
    "LIBRARY_NAME",
    "LOG_LINE_PREFIX",
    "MAX_RETENTION_DAYS",
    "MIN_RETENTION_DAYS",
    "PGAUDIT_CLASSES",
    "WORKSPACE_NAME",
    "AuditTrailConfig",
    "LogAnalyticsConfig",
    "PgauditConfig",
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
#: Full-match patterns (case-sensitive unless said): a preload library, a workspace name,
#: an Azure resource id (matched ignoring case, as ARM does).
LIBRARY_NAME: Final = r"[a-z_][a-z0-9_]{0,62}"
WORKSPACE_NAME: Final = r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]"
ARM_ID: Final = r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+"


class LogAnalyticsConfig(msgspec.Struct, frozen=True):
    """The Log Analytics workspace the logs go to.

    `workspace_id` references an existing workspace (an ARM id); otherwise the stack creates
    one named `workspace_name` (default `<server>-logs`) with `retention_days`.
    """

    workspace_id: str | None = None
    workspace_name: str | None = None
    retention_days: int = MIN_RETENTION_DAYS


class PgauditConfig(msgspec.Struct, frozen=True):
    """pgaudit session logging. `log_parameter` is always off: parameters carry data."""

    enabled: bool = True
    log: tuple[str, ...] = DEFAULT_PGAUDIT_LOG
    allow_high_volume: bool = False


class AuditTrailConfig(msgspec.Struct, frozen=True):
    """The whole `auditTrail` section; the defaults are the secure choice."""

    enabled: bool = True
    log_analytics: LogAnalyticsConfig = msgspec.field(default_factory=LogAnalyticsConfig)
    storage_account_id: str | None = None
    pgaudit: PgauditConfig = msgspec.field(default_factory=PgauditConfig)
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
