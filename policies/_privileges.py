"""Checks shared by the Grant and DefaultPrivileges rules (same properties, same meaning).

Each function is a validator body: it reads `args.props` and reports through
`report_violation`; `kind` names the resource in the message ("Grant", "Default privileges").
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ._props import as_bool, as_list, as_str, get, normalize_identifier
from ._rule import describe


def _scope(args: ResourceValidationArgs) -> str:
    parts = [
        f"{label} {value!r}"
        for label, key in (("on", "objectType"), ("in database", "database"), ("schema", "schema"))
        if (value := as_str(get(args.props, key)))
    ]
    return " ".join(parts)


def privileges(args: ResourceValidationArgs) -> list[str]:
    """The privilege names, as given (an empty list is a revoke)."""
    return [str(p) for p in as_list(get(args.props, "privileges"), ["privileges"])]


def check_grant_option(args: ResourceValidationArgs, report: ReportViolation, kind: str) -> None:
    """Reports `withGrantOption` true."""
    if as_bool(get(args.props, "withGrantOption")) is True:
        grantee = describe(args, f"{kind} to", as_str(get(args.props, "role")))
        report(
            f"{grantee} {_scope(args)} is WITH GRANT OPTION. Set withGrantOption=False: "
            "privileges are handed out by the access model, not passed on by grantees.",
            None,
        )


def check_public(args: ResourceValidationArgs, report: ReportViolation, kind: str) -> None:
    """Reports a non-empty privilege list granted to PUBLIC (any case or quoting)."""
    role = as_str(get(args.props, "role"))
    if role is None or normalize_identifier(role) != "public":
        return
    granted = privileges(args)
    if granted:
        report(
            f"{kind} '{args.name}' {_scope(args)} gives {', '.join(granted)} to PUBLIC, i.e. "
            "to every role on the server, including every Entra login. Grant to a named group "
            "role instead (an empty privilege list, which revokes from PUBLIC, is fine).",
            None,
        )


def check_all_privileges(args: ResourceValidationArgs, report: ReportViolation, kind: str) -> None:
    """Reports ALL / ALL PRIVILEGES in the privilege list."""
    granted = privileges(args)
    if any(" ".join(p.upper().split()) in ("ALL", "ALL PRIVILEGES") for p in granted):
        grantee = describe(args, f"{kind} to", as_str(get(args.props, "role")))
        report(
            f"{grantee} {_scope(args)} uses ALL privileges. List the privileges the role needs "
            "(e.g. SELECT, INSERT, UPDATE, DELETE) so the access diff shows what it can do.",
            None,
        )


def scope(args: ResourceValidationArgs) -> str:
    """`on 'table' in database 'app' schema 'sales'`: where a grant applies, for messages."""
    return _scope(args)


def normalized_privileges(args: ResourceValidationArgs) -> set[str]:
    """Privilege names upper-cased, single-spaced (`all  privileges` -> `ALL PRIVILEGES`)."""
    return {" ".join(p.upper().split()) for p in privileges(args)}


def grants_all(args: ResourceValidationArgs) -> bool:
    """Whether the privilege list uses ALL / ALL PRIVILEGES (every privilege of the type)."""
    return bool(normalized_privileges(args) & {"ALL", "ALL PRIVILEGES"})


def object_type(args: ResourceValidationArgs) -> str | None:
    """`objectType`, lower-cased and stripped."""
    value = as_str(get(args.props, "objectType"))
    return None if value is None else value.strip().lower()
