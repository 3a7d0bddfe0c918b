"""The plan in a terminal (or a CI log): verdict and summary first, then the details.

Order, for a reviewer who reads from the top and stops when satisfied:
1. the verdict (would `pulumi up` be blocked?) and a one-line summary;
2. the policy violations, when there are any;
3. the resources, grouped by component the way `pulumi preview` nests them, one line per
   resource type with its count (`tree=True`: every resource, one line each);
4. the access matrix, the stack outputs, and warnings about invokes with no answer.

Everything fits the console's width: tables are used only when every column can hold its
longest word (rich wraps at spaces and splits a word only when a column is narrower than it);
otherwise the same content is printed as an indented list. Values the mock run made up are
shown as `<placeholder ...>`. Names and values come from the stack config and the program:
each goes through `textsafe.visible` (control, bidi and invisible characters shown as
escapes) and reaches rich as `Text`, never as markup.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from entra_pg.mockrun import PlanRun
from entra_pg.model import AccessEntry
from entra_pg.resources import PlannedResource
from entra_pg.textsafe import visible

from .describe import (
    describe,
    is_placeholder,
    mark_placeholder,
    mark_placeholders_in,
    object_names,
    short_type,
)
from .document import ViolationLike, summary

__all__ = ["MAX_NAMES", "fits", "render_plan"]

#: Names listed per resource type in the compact view (the rest are counted).
MAX_NAMES: Final = 4


def fits(console: Console, table: Table) -> bool:
    """Size `table`'s columns so that no word is split, and say whether that fits.

    Every column gets at least its longest word (header included); the room left is shared
    in proportion to what each column lacks for its longest line. rich's own sizing squeezes
    the widest columns first, whatever their words, so the widths are fixed here. Returns
    False (and leaves the table alone) when even the longest words do not fit: the caller
    prints a list instead.
    """
    cells = [[str(c) for c in (column.header, *column.cells)] for column in table.columns]
    shortest = [max((cell_len(w) for c in col for w in c.split()), default=1) for col in cells]
    longest = [max((cell_len(x) for c in col for x in c.splitlines()), default=1) for col in cells]
    _, right, _, left = table.padding
    frame = (left + right) * len(cells) + (len(cells) + 1 if table.box is not None else 0)
    room = console.width - frame - sum(shortest)
    if room < 0:
        return False
    lacking = [max(0, high - low) for low, high in zip(shortest, longest, strict=True)]
    total = sum(lacking)
    for column, low, lack in zip(table.columns, shortest, lacking, strict=True):
        column.width = low + (lack if total <= room else room * lack // total)
    return True


def _verdict(data: dict[str, Any], violations: Sequence[ViolationLike] | None) -> Text:
    if violations is None:
        return Text("Policies were not checked.", style="yellow")
    mandatory = data["mandatory_violations"]
    if mandatory:
        return Text(
            f"BLOCKED: {mandatory} mandatory policy violation(s); `pulumi up` would be refused.",
            style="bold red",
        )
    if violations:
        return Text(
            f"Passes: 0 mandatory policy violations ({len(violations)} advisory).", style="yellow"
        )
    return Text("Passes: 0 mandatory policy violations. No policy violations.", style="green")


def _summary_line(data: dict[str, Any]) -> str:
    return (
        f"{data['resources']} resources ({data['components']} components, "
        f"{len(data['by_type'])} types), {data['principals']} principals, "
        f"{data['access_entries']} access entries"
    )


def _violations(console: Console, violations: Sequence[ViolationLike]) -> None:
    console.print(Text(f"Policy violations ({len(violations)})", style="bold"))
    ordered = sorted(violations, key=lambda v: (not v.mandatory, v.policy_name, v.urn))
    for v in ordered:
        where = f"{short_type(v.resource_type)} {v.resource_name}" if v.urn else "the stack"
        line = Text("  ")
        line.append(v.enforcement_level, style="bold red" if v.mandatory else "yellow")
        line.append(visible(f" {v.policy_name} on {where}"))
        console.print(line)
        console.print(Padding(Text(visible(v.message)), (0, 0, 0, 4)))


# --------------------------------------------------------------------------- resources


class _Index:
    """Resources by parent, and the names the tree shows."""

    def __init__(self, run: PlanRun) -> None:
        self.children: dict[str | None, list[PlannedResource]] = defaultdict(list)
        for resource in run.resources:
            self.children[resource.parent].append(resource)
        self.names = {r.urn: r.name for r in run.resources}
        self.ids = object_names(run.resources)

    def split(self, parent: str | None) -> tuple[list[PlannedResource], dict[str, list[Any]]]:
        """(child components, custom children by type) of `parent`."""
        kids = self.children.get(parent, [])
        groups: dict[str, list[PlannedResource]] = defaultdict(list)
        for r in kids:
            if r.custom:
                groups[r.type].append(r)
        return [r for r in kids if not r.custom], {t: groups[t] for t in sorted(groups)}

    def count(self, parent: str) -> int:
        """Resources under `parent`, at any depth."""
        kids = self.children.get(parent, [])
        return len(kids) + sum(self.count(k.urn) for k in kids if not k.custom)


def _component_label(component: PlannedResource, index: _Index) -> Text:
    label = Text()
    label.append(visible(component.type), style="bold cyan")
    label.append(visible(f" {component.name}"))
    label.append(f"  {index.count(component.urn)} resources", style="dim")
    return label


def _compact(node: Tree, parent: str | None, index: _Index) -> None:
    components, groups = index.split(parent)
    for component in components:
        _compact(node.add(_component_label(component, index)), component.urn, index)
    for type_token, members in groups.items():
        label = Text()
        label.append(f"{short_type(type_token)} ({len(members)})", style="bold")
        names = [visible(describe(r, index.ids) or r.name) for r in members[:MAX_NAMES]]
        label.append("  " + ", ".join(names), style="dim")
        if len(members) > MAX_NAMES:
            label.append(f", +{len(members) - MAX_NAMES} more", style="dim")
        node.add(label)


def _full(node: Tree, parent: str | None, index: _Index) -> None:
    components, groups = index.split(parent)
    for component in components:
        _full(node.add(_component_label(component, index)), component.urn, index)
    for type_token, members in groups.items():
        providers = sorted({index.names.get(r.provider or "", "") for r in members if r.provider})
        label = Text()
        label.append(f"{short_type(type_token)} ({len(members)})", style="bold")
        if providers:
            label.append(visible(f"  via provider {', '.join(providers)}"), style="dim")
        group = node.add(label)
        for r in members:
            text = describe(r, index.ids)
            line = Text(visible(text) + "  " if text else "")
            line.append(visible(r.name), style="dim")
            group.add(line)


def _resources(run: PlanRun, *, tree: bool) -> Tree:
    index = _Index(run)
    root = Tree(
        Text.assemble(
            ("pulumi:pulumi:Stack", "bold"),
            visible(f" {run.project}-{run.stack}  {len(run.resources)} resources"),
        )
    )
    (_full if tree else _compact)(root, None, index)
    return root


# --------------------------------------------------------------------------- tables or lists


def _privileges(pairs: Sequence[tuple[str, Sequence[str]]], sep: str = "\n") -> str:
    """One `type: PRIV, PRIV` per object type, each part visible (the separator is ours)."""
    return sep.join(visible(f"{ot}: {', '.join(privs)}") for ot, privs in pairs) or "-"


def _matrix(console: Console, matrix: Sequence[AccessEntry]) -> RenderableType:
    table = Table(title="Access matrix", show_lines=True)
    for column in ("Principal", "Kind", "Scope", "Profile", "Privileges", "Future objects", "Via"):
        table.add_column(column)
    for e in matrix:
        profile = f"{e.profile} (owner)" if e.owner else e.profile
        table.add_row(
            Text(visible(e.principal)),
            Text(visible(e.kind)),
            Text(visible(f"{e.database}.{e.schema}")),
            Text(visible(profile)),
            Text(_privileges(e.privileges)),
            Text(_privileges(e.future)),
            Text(visible(e.via)),
        )
    if fits(console, table):
        return table
    out: list[RenderableType] = [Text("Access matrix", style="bold")]
    for e in matrix:
        owner = " (owner)" if e.owner else ""
        out.append(
            Text.assemble(
                (visible(e.principal), "bold"),
                visible(f" ({e.kind}) on {e.database}.{e.schema}: {e.profile}{owner} via {e.via}"),
            )
        )
        out.append(Padding(Text(f"now: {_privileges(e.privileges, '; ')}"), (0, 0, 0, 4)))
        if e.future:
            later = _privileges(e.future, "; ")
            out.append(Padding(Text(f"future objects: {later}"), (0, 0, 0, 4)))
    return Group(*out)


def _outputs(console: Console, outputs: Mapping[str, Any]) -> RenderableType:
    rows: list[tuple[str, str]] = []
    for key in sorted(outputs):
        value = outputs[key]
        if isinstance(value, str) and is_placeholder(value):
            text = mark_placeholder(value)
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            text = mark_placeholders_in(text)  # ids inside longer values (ARM ids, lists)
        rows.append((visible(key), visible(text)))
    table = Table(title="Stack outputs")
    table.add_column("Output")
    table.add_column("Value")
    for key, text in rows:
        table.add_row(Text(key), Text(text))
    if fits(console, table):
        return table
    items: list[RenderableType] = [Text("Stack outputs", style="bold")]
    for key, text in rows:
        items.append(Text(key, style="bold"))
        items.append(Padding(Text(text), (0, 0, 0, 4)))
    return Group(*items)


def render_plan(
    console: Console,
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
    *,
    tree: bool = False,
) -> None:
    """Print the plan (see the module docstring for the order); `tree` lists every resource
    instead of one line per type. The same as `render_head` then `render_body`."""
    render_head(console, run, matrix, violations)
    render_body(console, run, matrix, tree=tree)


def render_head(
    console: Console,
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> None:
    """The part of the plan that depends on the verdict: the title, the verdict and the
    summary line, then the violations."""
    data = summary(run, matrix, violations)
    console.print(
        f"[bold]Plan[/] of stack [bold]{escape(visible(run.stack))}[/] "
        f"(project {escape(visible(run.project))}), "
        "run offline under mocks"
    )
    console.print(_verdict(data, violations))
    console.print(_summary_line(data))
    console.print()
    if violations:
        _violations(console, violations)
        console.print()


def render_body(
    console: Console, run: PlanRun, matrix: Sequence[AccessEntry], *, tree: bool = False
) -> None:
    """The part that does not depend on the verdict: the resources, the access matrix, the
    outputs and the invokes left unanswered (so it can be drawn while the pack judges)."""
    heading = "Resources" if tree else "Resources by component (--tree lists every resource)"
    console.print(Text(heading, style="bold"))
    console.print(Text("Values the cloud assigns are shown as <placeholder ...>.", style="dim"))
    console.print(_resources(run, tree=tree))
    console.print()
    console.print(_matrix(console, matrix))
    if run.outputs:
        console.print()
        console.print(_outputs(console, run.outputs))
    for invoke in run.unanswered_invokes:
        console.print(
            Text.assemble(
                ("warning:", "yellow"),
                visible(f" invoke {invoke.token} has no placeholder answer; ")
                + "values derived from it are missing from this plan",
            )
        )
