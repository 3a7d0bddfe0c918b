"""The access diff: who gains or loses what between two versions of the stack.

`entra-pg diff --base REF` plans the base revision and the working tree offline (each with
its own code) and compares them; `entra-pg diff --preview-json FILE` reads the steps of a real
`pulumi preview --json`. Both give a `DiffReport`: access changes per principal and scope,
identity and admin-group changes, policy verdict changes and resource changes with the
dangerous ones flagged, rendered as text, Markdown (a sticky PR comment) or JSON.
"""

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
