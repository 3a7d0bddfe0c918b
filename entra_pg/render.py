"""Present a plan: the JSON document of `entra-pg plan --json` and its rich terminal form.

Both forms carry the same content: the resources (grouped by parent and type in the terminal,
a flat list of `PlannedResource.to_json()` in JSON), the access matrix, the stack outputs,
policy violations when the pack ran, and a summary of counts. Everything is ordered
deterministically (resources by URN, the matrix as the model sorts it, mappings by key), so
two plans of the same config are byte-identical and can be diffed.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from entra_pg.mockrun import PlanRun
from entra_pg.model import AccessEntry
from entra_pg.resources import PlannedResource

__all__ = [
    "ViolationLike",
    "describe",
    "object_names",
    "plan_document",
    "render_plan",
    "summary",
]

#: Version of the JSON document's shape; bump when a key changes meaning.
DOCUMENT_VERSION = 1


class ViolationLike(Protocol):
    """What the renderer needs of a policy violation (`entra_pg.policycheck.Violation`)."""

    @property
    def policy_name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def enforcement_level(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def mandatory(self) -> bool: ...


# --------------------------------------------------------------------------- JSON


def summary(
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> dict[str, Any]:
    """Counts: resources by type, components, principals, matrix rows, violations."""
    by_type = Counter(r.type for r in run.resources)
    out: dict[str, Any] = {
        "resources": len(run.resources),
        "custom_resources": sum(1 for r in run.resources if r.custom),
        "components": sum(1 for r in run.resources if not r.custom),
        "by_type": {t: by_type[t] for t in sorted(by_type)},
        "principals": len({e.principal for e in matrix}),
        "access_entries": len(matrix),
        "invokes": len(run.invokes),
        "unanswered_invokes": len(run.unanswered_invokes),
    }
    if violations is not None:
        levels = Counter(v.enforcement_level for v in violations)
        out["violations"] = {level: levels[level] for level in sorted(levels)}
        out["mandatory_violations"] = sum(1 for v in violations if v.mandatory)
    return out


def _violation_json(violation: ViolationLike) -> dict[str, Any]:
    if dataclasses.is_dataclass(violation) and not isinstance(violation, type):
        data = dataclasses.asdict(violation)
    else:
        data = {
            key: getattr(violation, key)
            for key in (
                "policy_name",
                "urn",
                "resource_name",
                "resource_type",
                "enforcement_level",
                "message",
                "severity",
            )
        }
    data["mandatory"] = violation.mandatory
    return data


def plan_document(
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> dict[str, Any]:
    """The plan as one JSON-compatible document.

    Keys: `version`, `project`, `stack`, `resources` (`PlannedResource.to_json()` each, by
    URN), `access_matrix` (`AccessEntry.as_dict()` each), `outputs`, `invokes`, `warnings`,
    `policies` (`{"checked": bool, "violations": [...]}`), `summary`.
    """
    return {
        "version": DOCUMENT_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [r.to_json() for r in run.resources],
        "access_matrix": [e.as_dict() for e in matrix],
        "outputs": {k: run.outputs[k] for k in sorted(run.outputs)},
        "invokes": [i.to_json() for i in run.invokes],
        "warnings": [*run.files.warnings, *(d.message for d in run.diagnostics)],
        "policies": {
            "checked": violations is not None,
            "violations": [_violation_json(v) for v in violations or ()],
        },
        "summary": summary(run, matrix, violations),
    }


# --------------------------------------------------------------------------- one-line summaries


def _join(values: object) -> str:
    if isinstance(values, (list, tuple)):
        return ", ".join(str(v) for v in values) if values else "(none)"
    return str(values)


def _scope(i: Mapping[str, Any]) -> str:
    schema = i.get("schema")
    return f"{i.get('database')}.{schema}" if schema else str(i.get("database"))


def _role(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    flags = [
        flag.upper()
        for flag in ("superuser", "createRole", "createDatabase", "replication")
        if i.get(flag)
    ]
    if i.get("bypassRowLevelSecurity"):
        flags.append("BYPASSRLS")
    kind = "LOGIN" if i.get("login") else "NOLOGIN"
    return " ".join([str(i.get("name")), kind, *flags])


def _grant(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('role')}: {_join(i.get('privileges'))} on {i.get('objectType')} {_scope(i)}"


def _default_privileges(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return (
        f"{i.get('role')}: {_join(i.get('privileges'))} on future {i.get('objectType')}s "
        f"of {i.get('owner')} in {_scope(i)}"
    )


def _grant_role(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    admin = " WITH ADMIN OPTION" if i.get("withAdminOption") else ""
    return f"{i.get('grantRole')} granted to {i.get('role')}{admin}"


def _label(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('objectType')} {i.get('objectName')}: {i.get('labelProvider')} {i.get('label')}"


def _owned(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('name')} (owner {i.get('owner')})"


def _schema(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('database')}.{i.get('name')} (owner {i.get('owner')})"


def _display(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    # A service principal takes its display name from its application (an output).
    return str(i.get("displayName") or names.get(str(i.get("clientId"))) or "")


def _credential(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('displayName')}: {i.get('subject')}"


def _assignment(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return (
        f"{_name(names, i.get('principalObjectId'))}: app role "
        f"{_name(names, i.get('appRoleId'))} of {_name(names, i.get('resourceObjectId'))}"
    )


def _member(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return (
        f"{_name(names, i.get('memberObjectId'))} in group {_name(names, i.get('groupObjectId'))}"
    )


def _server(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    auth = i.get("authConfig") or {}
    network = i.get("network") or {}
    return (
        f"{i.get('serverName')} v{i.get('version')} {(i.get('sku') or {}).get('name', '')}, "
        f"Entra auth {auth.get('activeDirectoryAuth')}, password auth "
        f"{auth.get('passwordAuth')}, public access {network.get('publicNetworkAccess')}"
    )


def _configuration(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('configurationName')} = {i.get('value')}"


def _firewall(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('firewallRuleName')}: {i.get('startIpAddress')} - {i.get('endIpAddress')}"


def _entra_admin(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('principalName')} ({i.get('principalType')} {i.get('objectId')})"


def _provider(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    parts = [f"{k}={i[k]}" for k in ("host", "port", "username", "sslmode") if k in i]
    if i.get("azureIdentityAuth") in ("true", True):
        parts.append("Entra token auth")
    if "superuser" in i:
        parts.append(f"superuser={i['superuser']}")
    return ", ".join(parts)


_DESCRIBE: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], str]] = {
    "postgresql:index/role:Role": _role,
    "postgresql:index/grant:Grant": _grant,
    "postgresql:index/defaultPrivileges:DefaultPrivileges": _default_privileges,
    "postgresql:index/grantRole:GrantRole": _grant_role,
    "postgresql:index/securityLabel:SecurityLabel": _label,
    "postgresql:index/database:Database": _owned,
    "postgresql:index/schema:Schema": _schema,
    "pulumi:providers:postgresql": _provider,
    "azuread:index/group:Group": _display,
    "azuread:index/application:Application": _display,
    "azuread:index/servicePrincipal:ServicePrincipal": _display,
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        _credential
    ),
    "azuread:index/appRoleAssignment:AppRoleAssignment": _assignment,
    "azuread:index/groupMember:GroupMember": _member,
    "azure-native:dbforpostgresql:Server": _server,
    "azure-native:dbforpostgresql:Configuration": _configuration,
    "azure-native:dbforpostgresql:FirewallRule": _firewall,
    "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": _entra_admin,
}


def _name(names: Mapping[str, str], value: object) -> str:
    text = str(value)
    return names.get(text, text)


def object_names(resources: Sequence[PlannedResource]) -> dict[str, str]:
    """Display names of the Entra object ids and app role ids the resources declare, so
    that assignments and memberships read as names instead of UUIDs."""
    names: dict[str, str] = {}
    for r in resources:
        display = r.outputs.get("displayName") or r.inputs.get("displayName")
        if display and r.outputs.get("objectId"):
            names[str(r.outputs["objectId"])] = str(display)
        if display and r.outputs.get("clientId"):
            names[str(r.outputs["clientId"])] = str(display)
        # The pgaadauth label maps a role name to an object id, existing principals included.
        label = str(r.inputs.get("label") or "")
        if r.inputs.get("labelProvider") == "pgaadauth" and "oid=" in label:
            oid = label.split("oid=", 1)[1].split(",", 1)[0]
            names.setdefault(oid, str(r.inputs.get("objectName")))
        for role in r.inputs.get("appRoles") or []:
            if isinstance(role, Mapping) and role.get("id") and role.get("value"):
                names[str(role["id"])] = str(role["value"])
    return names


def describe(resource: PlannedResource, names: Mapping[str, str] | None = None) -> str:
    """One line saying what the resource declares (its key inputs); `names` maps ids to
    display names (see `object_names`)."""
    describer = _DESCRIBE.get(resource.type)
    if describer is not None:
        return describer(resource.inputs, names or {})
    for key in ("name", "displayName", "databaseName", "resourceGroupName", "serverName"):
        if resource.inputs.get(key):
            return str(resource.inputs[key])
    return ""


# --------------------------------------------------------------------------- terminal


def _short_type(type_token: str) -> str:
    """`postgresql:index/role:Role` -> `postgresql:Role`; providers -> `provider:<pkg>`."""
    parts = type_token.split(":")
    if type_token.startswith("pulumi:providers:"):
        return f"provider:{parts[-1]}"
    return f"{parts[0]}:{parts[-1]}" if len(parts) >= 3 else type_token


def _resource_tree(run: PlanRun) -> Tree:
    children: dict[str | None, list[PlannedResource]] = defaultdict(list)
    for resource in run.resources:
        children[resource.parent].append(resource)
    names = {r.urn: r.name for r in run.resources}
    ids = object_names(run.resources)
    tree = Tree(f"[bold]{escape(run.project)}-{escape(run.stack)}[/] (pulumi:pulumi:Stack)")

    def add(node: Tree, parent: str | None) -> None:
        kids = children.get(parent, [])
        components = [r for r in kids if not r.custom]
        groups: dict[str, list[PlannedResource]] = defaultdict(list)
        for r in kids:
            if r.custom:
                groups[r.type].append(r)
        for component in components:
            branch = node.add(f"[bold cyan]{escape(component.type)}[/] {escape(component.name)}")
            add(branch, component.urn)
        for type_token in sorted(groups):
            members = groups[type_token]
            providers = sorted({names.get(r.provider or "", "") for r in members if r.provider})
            via = f" [dim]via provider {escape(', '.join(providers))}[/]" if providers else ""
            group = node.add(
                f"[bold]{escape(_short_type(type_token))}[/] x{len(members)}"
                f" [dim]{escape(type_token)}[/]{via}"
            )
            for r in members:
                text = describe(r, ids)
                group.add(f"{escape(text)} [dim]{escape(r.name)}[/]" if text else escape(r.name))

    add(tree, None)
    return tree


def _privileges(pairs: Sequence[tuple[str, Sequence[str]]]) -> str:
    return "\n".join(f"{ot}: {', '.join(privs)}" for ot, privs in pairs) or "-"


def _matrix_table(matrix: Sequence[AccessEntry]) -> Table:
    table = Table(title="Access matrix", show_lines=True)
    for column in ("Principal", "Kind", "Scope", "Profile", "Privileges", "Future objects", "Via"):
        table.add_column(column, overflow="fold")
    for e in matrix:
        profile = f"{e.profile} (owner)" if e.owner else e.profile
        table.add_row(
            escape(e.principal),
            e.kind,
            escape(f"{e.database}.{e.schema}"),
            escape(profile),
            escape(_privileges(e.privileges)),
            escape(_privileges(e.future)),
            escape(e.via),
        )
    return table


def _summary_table(data: Mapping[str, Any]) -> Table:
    table = Table(title="Summary")
    table.add_column("Resource type")
    table.add_column("Count", justify="right")
    for type_token, count in data["by_type"].items():
        table.add_row(escape(type_token), str(count))
    table.add_row("[bold]total[/]", f"[bold]{data['resources']}[/]")
    return table


def _violations_table(violations: Sequence[ViolationLike]) -> Table:
    table = Table(title="Policy violations", show_lines=True)
    for column in ("Level", "Policy", "Resource", "Message"):
        table.add_column(column, overflow="fold")
    for v in violations:
        style = "bold red" if v.mandatory else "yellow"
        where = f"{_short_type(v.resource_type)} {v.resource_name}" if v.urn else "(stack)"
        table.add_row(
            f"[{style}]{escape(v.enforcement_level)}[/]",
            escape(v.policy_name),
            escape(where),
            escape(v.message),
        )
    return table


def render_plan(
    console: Console,
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> None:
    """Print the plan: resource tree, access matrix, outputs, violations, summary."""
    console.print(
        f"[bold]Plan[/] of stack [bold]{escape(run.stack)}[/] (project {escape(run.project)}): "
        "the program ran offline under mocks; ids the cloud assigns are placeholders."
    )
    console.print(_resource_tree(run))
    console.print(_matrix_table(matrix))
    if run.outputs:
        outputs = Table(title="Stack outputs")
        outputs.add_column("Output")
        outputs.add_column("Value", overflow="fold")
        for key in sorted(run.outputs):
            value = run.outputs[key]
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            outputs.add_row(escape(key), escape(text))
        console.print(outputs)
    if violations is None:
        console.print("[yellow]Policies were not checked.[/]")
    elif violations:
        console.print(_violations_table(violations))
    else:
        console.print("[green]No policy violations.[/]")
    for invoke in run.unanswered_invokes:
        console.print(
            f"[yellow]warning:[/] invoke {escape(invoke.token)} has no placeholder answer; "
            "values derived from it are missing from this plan"
        )
    data = summary(run, matrix, violations)
    console.print(_summary_table(data))
    line = (
        f"{data['resources']} resources ({data['components']} components), "
        f"{data['principals']} principals, {data['access_entries']} access entries"
    )
    if violations is not None:
        line += f", {data['mandatory_violations']} mandatory policy violations"
    console.print(line)
