"""The access diff: who gains or loses what between two versions of the stack.

`entra-pg diff --base REF` plans the base revision and the working tree offline (each with
its own code) and compares them; `entra-pg diff --preview-json FILE` reads the steps of a real
`pulumi preview --json`. Both give a `DiffReport`: access changes per principal and scope,
identity and admin-group changes, policy verdict changes and resource changes with the
dangerous ones flagged, rendered as text, Markdown (a sticky PR comment) or JSON.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import diff_policies, report_from_plans, report_from_preview
    from .gitbase import BaseRevision, BaseRevisionError, base_revision
    from .planner import PlanRequest, PlanRunError, plan_snapshots, snapshot_from_document
    from .preview import Preview, PreviewError, load_preview, parse_preview
    from .render import MARKER, render_markdown, render_text
    from .report import (
        AccessChange,
        DiffReport,
        IdentityChange,
        MembershipChange,
        PolicyDiff,
        PolicyVerdict,
        ResourceChange,
        ScopeAccess,
        Snapshot,
    )
    from .resource_changes import REPLACE_ON_CHANGE, SET_PROPERTIES, diff_resources

# Loaded on first use (PEP 562), not on import: `entra-pg` imports entra_pg.diff.cli to
# register `diff` for every command, and the audit must not pay for the diff's modules.
_WHERE: dict[str, str] = {
    "AccessChange": "report",
    "BaseRevision": "gitbase",
    "BaseRevisionError": "gitbase",
    "DiffReport": "report",
    "IdentityChange": "report",
    "MARKER": "render",
    "MembershipChange": "report",
    "PlanRequest": "planner",
    "PlanRunError": "planner",
    "PolicyDiff": "report",
    "PolicyVerdict": "report",
    "Preview": "preview",
    "PreviewError": "preview",
    "REPLACE_ON_CHANGE": "resource_changes",
    "ResourceChange": "report",
    "SET_PROPERTIES": "resource_changes",
    "ScopeAccess": "report",
    "Snapshot": "report",
    "base_revision": "gitbase",
    "diff_policies": "build",
    "diff_resources": "resource_changes",
    "load_preview": "preview",
    "parse_preview": "preview",
    "plan_snapshots": "planner",
    "render_markdown": "render",
    "render_text": "render",
    "report_from_plans": "build",
    "report_from_preview": "build",
    "snapshot_from_document": "planner",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "MARKER",
    "REPLACE_ON_CHANGE",
    "SET_PROPERTIES",
    "AccessChange",
    "BaseRevision",
    "BaseRevisionError",
    "DiffReport",
    "IdentityChange",
    "MembershipChange",
    "PlanRequest",
    "PlanRunError",
    "PolicyDiff",
    "PolicyVerdict",
    "Preview",
    "PreviewError",
    "ResourceChange",
    "ScopeAccess",
    "Snapshot",
    "base_revision",
    "diff_policies",
    "diff_resources",
    "load_preview",
    "parse_preview",
    "plan_snapshots",
    "render_markdown",
    "render_text",
    "report_from_plans",
    "report_from_preview",
    "snapshot_from_document",
]
