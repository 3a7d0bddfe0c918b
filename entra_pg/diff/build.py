"""Assemble a `DiffReport` from two plan snapshots or from a preview."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from entra_pg.resources import PlannedResource

from .access import access_from_resources, diff_access, diff_memberships
from .context import ConfigContext, fill
from .entra import access_through_groups, diff_identities, entra_facts
from .preview import Preview
from .report import AccessChange, DiffReport, PolicyDiff, PolicyVerdict, Snapshot
from .resource_changes import diff_resources

__all__ = ["diff_policies", "report_from_plans", "report_from_preview"]

#: Judges a complete resource set with the policy pack (see `policycheck.check`).
PolicyJudge = Callable[[Sequence[PlannedResource]], Sequence[PolicyVerdict]]


def diff_policies(
    before: Sequence[PolicyVerdict] | None,
    after: Sequence[PolicyVerdict] | None,
    *,
    note: str = "",
) -> PolicyDiff:
    """New and resolved diagnostics; unchecked when either side was not judged."""
    if before is None or after is None:
        return PolicyDiff(checked=False, note=note or "the policy pack did not judge both sides")
    old = {v.key: v for v in before}
    new = {v.key: v for v in after}
    order = lambda v: (not v.mandatory, v.policy_name, v.urn, v.message)  # noqa: E731
    return PolicyDiff(
        checked=True,
        new=tuple(sorted((new[k] for k in new.keys() - old.keys()), key=order)),
        resolved=tuple(sorted((old[k] for k in old.keys() - new.keys()), key=order)),
        remaining=len(old.keys() & new.keys()),
        head_mandatory=sum(1 for v in after if v.mandatory),
        note=note,
    )


def report_from_plans(
    base: Snapshot, head: Snapshot, stack: str, *, policy_note: str = ""
) -> DiffReport:
    """The diff between two complete plans (base revision and working tree). `policy_note`
    says why the pack did not run, when it was not asked to."""
    notes: list[str] = []
    if base.matrix is None or head.matrix is None:
        before, after = access_from_resources(base.resources), access_from_resources(head.resources)
    else:
        before, after = base.matrix, head.matrix
    base_facts = entra_facts(base.resources, base.names)
    head_facts = entra_facts(head.resources, head.names)
    access = _with_members(
        diff_access(before, after),
        access_through_groups(before, after, base_facts, head_facts),
    )
    identities = diff_identities(base_facts, head_facts)
    policies = diff_policies(base.violations, head.violations, note=policy_note)
    return DiffReport(
        source="plans",
        stack=stack,
        base=base.label,
        head=head.label,
        access=access,
        memberships=(),
        identities=identities,
        policies=policies,
        resources=diff_resources(base.resources, head.resources),
        notes=tuple(notes),
    )


def report_from_preview(
    preview: Preview,
    *,
    label: str,
    judge: PolicyJudge | None = None,
    judge_note: str = "",
    context: ConfigContext | None = None,
) -> DiffReport:
    """The diff a `pulumi preview --json` describes.

    Access changes come from the PostgreSQL resources of the steps. A complete preview
    (`--show-sames`) holds the whole stack: grantees are the LOGIN roles and the pack
    (through `judge`) judges both sides. A partial one holds only what changes: `context`
    (the stack config) supplies the unchanged grants, memberships and the admin group;
    without it, roles whose grants change are reported as their own grantees.
    """
    notes: list[str] = list(preview.diagnostics)
    filler: tuple[PlannedResource, ...] = ()
    if not preview.complete and context is not None:
        filler = fill(context, preview.before, preview.after)
        notes.append(
            "The preview lists only changed resources; grants and memberships of unchanged "
            f"roles are taken from {context.source} (run `pulumi preview --json --show-sames` "
            "to read them from the stack's state instead)."
        )
    elif not preview.complete:
        notes.append(
            "The preview lists only changed resources: privileges of unchanged roles and "
            "members of unchanged groups are not in it. Run `pulumi preview --json "
            "--show-sames` (or pass the project with its stack config) for the whole picture."
        )
    partial = not preview.complete and context is None
    before = access_from_resources([*filler, *preview.before], holders_as_grantees=partial)
    after = access_from_resources([*filler, *preview.after], holders_as_grantees=partial)
    memberships = diff_memberships(preview.before, preview.after, filler)
    names: dict[str, str] = {}
    hint = context.admin_group if context is not None else ""
    base_facts = entra_facts(preview.before, names, admin_group_hint=hint)
    head_facts = entra_facts(preview.after, names, admin_group_hint=hint)
    access = _with_members(
        diff_access(before, after), access_through_groups(before, after, base_facts, head_facts)
    )
    identities = diff_identities(
        base_facts,
        head_facts,
        admin_identities=context.admin_identities if context is not None else frozenset(),
    )
    policies: PolicyDiff
    if judge is not None and preview.complete:
        policies = diff_policies(judge(preview.before), judge(preview.after), note=judge_note)
    else:
        reason = judge_note or (
            "`pulumi preview --json` omits policy results (the engine enforces "
            "`--policy-pack` during the preview itself)"
            + ("" if preview.complete else "; with `--show-sames` the pack judges both sides here")
        )
        policies = PolicyDiff(checked=False, note=reason)
    return DiffReport(
        source="preview",
        stack=preview.stack,
        base="current state",
        head=label,
        access=access,
        memberships=memberships,
        identities=identities,
        policies=policies,
        resources=preview.changes,
        notes=tuple(notes),
    )


def _with_members(
    access: tuple[AccessChange, ...], members: tuple[AccessChange, ...]
) -> tuple[AccessChange, ...]:
    """The principals' own changes, then those of group members (each group's members right
    after the group's own rows, so a reader sees who gains through it)."""
    if not members:
        return access
    by_group: dict[str, list[AccessChange]] = {}
    for change in members:
        by_group.setdefault(change.through, []).append(change)
    out: list[AccessChange] = []
    for index, change in enumerate(access):
        out.append(change)
        last_of_principal = (
            index + 1 == len(access) or access[index + 1].principal != change.principal
        )
        if last_of_principal:
            out += by_group.pop(change.principal, [])
    for rest in by_group.values():  # groups whose own access did not change
        out += rest
    return tuple(out)
