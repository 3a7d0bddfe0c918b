"""Roles, their attributes and labels, and memberships: the cluster-wide checks."""

from __future__ import annotations

from collections import defaultdict

from psycopg import sql

from entra_pg.model import entra_label
from entra_pg.textsafe import sql_literal

from .compare_context import Context
from .findings import FixStatement
from .model import EntraLabel, parse_entra_label
from .rows import RoleRow
from .sqltext import ident, render, show

__all__ = ["check_memberships", "check_roles"]


def _fix(template: str, *parts: sql.Composable, database: str | None = None) -> FixStatement:
    return FixStatement(database, render(sql.SQL(template).format(*parts)))


def _role_purpose(ctx: Context, name: str) -> str:
    if name in ctx.principals:
        return f"Entra principal ({ctx.principals[name].principal.kind})"
    if name in ctx.capabilities:
        cap = ctx.capabilities[name]
        return f"capability: {cap.profile.name} on {cap.database}.{cap.schema}"
    databases = sorted(db for db, owner in ctx.owner_of.items() if owner == name)
    return f"owner of database {', '.join(databases)}"


def _label_fix(ctx: Context, name: str, object_id: str | None) -> FixStatement:
    p = ctx.principals[name].principal
    if object_id is None:
        return FixStatement(
            None,
            "-- label the role with its Entra object id: run `pulumi up` "
            "(the id of a principal the stack creates is known only in Entra)",
        )
    return _fix(
        "SECURITY LABEL FOR pgaadauth ON ROLE {} IS {};",
        ident(name),
        sql_literal(entra_label(object_id, p.label_type)),
    )


def check_roles(ctx: Context) -> None:
    """Declared roles exist with the right LOGIN/INHERIT and labels; no role outside the
    built-ins holds a dangerous attribute; LOGIN roles and labelled roles outside the
    model are reported (the latter as orphans)."""
    for name in ctx.model.access.role_names():
        login = name in ctx.principals
        row = ctx.roles.get(name)
        q = ident(name)
        if row is None:
            fix = [
                _fix(
                    "CREATE ROLE {} "
                    + ("LOGIN" if login else "NOLOGIN")
                    + " INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;",
                    q,
                )
            ]
            if login and ctx.model.entra:
                fix.append(_label_fix(ctx, name, ctx.model.object_ids.get(name)))
            ctx.add(
                "missing",
                "role",
                name,
                f"role {show(name)}",
                "LOGIN" if login else "NOLOGIN",
                None,
                f"role {show(name)} ({_role_purpose(ctx, name)}) is declared but does not exist",
                fix,
            )
            continue
        if row.login != login:
            if login:
                ctx.add(
                    "missing",
                    "role-attribute",
                    name,
                    f"role {show(name)}",
                    "LOGIN",
                    None,
                    f"principal role {show(name)} cannot log in (NOLOGIN)",
                    [_fix("ALTER ROLE {} LOGIN;", q)],
                )
            else:
                ctx.add(
                    "extra",
                    "role-attribute",
                    name,
                    f"role {show(name)}",
                    "LOGIN",
                    None,
                    f"role {show(name)} ({_role_purpose(ctx, name)}) can log in; the model "
                    "declares it NOLOGIN",
                    [_fix("ALTER ROLE {} NOLOGIN;", q)],
                )
        if not row.inherit:
            ctx.add(
                "missing",
                "role-attribute",
                name,
                f"role {show(name)}",
                "INHERIT",
                None,
                f"role {show(name)} is NOINHERIT: it does not get the privileges of the roles "
                "it is a member of",
                [_fix("ALTER ROLE {} INHERIT;", q)],
            )
        if login and ctx.model.entra:
            _principal_label(ctx, name)

    for row in ctx.snap.roles:
        if row.name in ctx.builtins:
            continue
        _dangerous_attributes(ctx, row)
        if row.name in ctx.model_roles or row.name in ctx.synced:
            continue
        label = ctx.snap.labels.get(row.name)
        if label is not None:
            _orphan(ctx, row, parse_entra_label(label))
        elif row.login:
            ctx.add(
                "extra",
                "login-role",
                row.name,
                f"role {show(row.name)}",
                "LOGIN",
                None,
                f"role {show(row.name)} can log in but is not in the model (and is not a "
                "built-in or Azure role): declare it in access, or disable it",
                [_fix("ALTER ROLE {} NOLOGIN;", ident(row.name))],
            )


def _dangerous_attributes(ctx: Context, row: RoleRow) -> None:
    for attribute in row.dangerous_attributes():
        ctx.add(
            "dangerous",
            "role-attribute",
            row.name,
            f"role {show(row.name)}",
            attribute,
            None,
            f"role {show(row.name)} has {attribute}; no role outside the built-in and Azure "
            "roles may hold it",
            [_fix("ALTER ROLE {} NO" + attribute + ";", ident(row.name))],
        )


def _principal_label(ctx: Context, name: str) -> None:
    expected_id = ctx.model.object_ids.get(name)
    expected_type = ctx.principals[name].principal.label_type
    label = ctx.snap.labels.get(name)
    shown = f"role {show(name)}"
    if label is None:
        ctx.add(
            "missing",
            "label",
            name,
            shown,
            "pgaadauth label",
            None,
            f"role {show(name)} has no pgaadauth label: no Entra principal can log in as it",
            [_label_fix(ctx, name, expected_id)],
        )
        return
    parsed = parse_entra_label(label)
    if parsed.admin:
        ctx.add(
            "dangerous",
            "label",
            name,
            shown,
            "pgaadauth admin",
            None,
            f"role {show(name)} is labelled `,admin`: it can create and drop other Entra roles",
            [_label_fix(ctx, name, expected_id or parsed.object_id)],
        )
        return
    wrong_id = (
        expected_id is not None and (parsed.object_id or "").casefold() != expected_id.casefold()
    )
    if wrong_id or parsed.type != expected_type:
        ctx.add(
            "extra",
            "label",
            name,
            shown,
            "pgaadauth label",
            None,
            f"role {show(name)} is mapped to Entra object {parsed.object_id} "
            f"(type={parsed.type}); the model says "
            f"{expected_id or 'its own principal'} (type={expected_type}): another "
            "identity logs in with its privileges",
            [_label_fix(ctx, name, expected_id or parsed.object_id)],
        )


def _orphan(ctx: Context, row: RoleRow, label: EntraLabel) -> None:
    renamed = [
        p
        for p, oid in ctx.model.object_ids.items()
        if label.object_id and oid.casefold() == label.object_id.casefold()
    ]
    hint = (
        f"; its object id belongs to model principal {renamed[0]} (renamed in Entra?)"
        if renamed
        else ""
    )
    q = ident(row.name)
    fix = [_fix("ALTER ROLE {} NOLOGIN;", q)]
    for database in sorted(ctx.snap.details):
        owner = ctx.owner_of.get(database)
        if owner is not None:
            fix.append(_fix("REASSIGN OWNED BY {} TO {};", q, ident(owner), database=database))
        fix.append(_fix("DROP OWNED BY {};", q, database=database))
    fix.append(FixStatement(None, render(sql.SQL("DROP ROLE {};").format(q)), "last"))
    ctx.add(
        "orphan",
        "role",
        row.name,
        f"role {show(row.name)}",
        "LOGIN" if row.login else "NOLOGIN",
        None,
        f"role {show(row.name)} is mapped to Entra object {label.object_id} "
        f"(type={label.type}) but is no longer in the model: an offboarding leftover"
        f"{hint}. Reassign what it owns and drop it",
        fix,
    )


def check_memberships(ctx: Context) -> None:
    """Declared memberships exist, with INHERIT and without ADMIN OPTION; memberships
    beyond the model are extra, or dangerous in a privileged role or with ADMIN OPTION."""
    expected = {(m.member, m.role) for m in ctx.model.access.memberships}
    # One entry per pair: PostgreSQL 16 keeps a row per grantor.
    admin: dict[tuple[str, str], bool] = defaultdict(bool)
    inherits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for m in ctx.snap.memberships:
        admin[(m.member, m.role)] |= m.admin_option
        if m.inherit is not None:
            inherits[(m.member, m.role)].append(m.inherit)
    for member, role in sorted(expected - set(admin)):
        ctx.add(
            "missing",
            "membership",
            member,
            f"role {show(role)}",
            f"MEMBER OF {show(role)}",
            None,
            f"{show(member)} should be a member of {show(role)}",
            [_fix("GRANT {} TO {};", ident(role), ident(member))],
        )
    for member, role in sorted(admin):
        with_admin = admin[(member, role)]
        if (member, role) in expected:
            grants = inherits.get((member, role))
            if grants and not any(grants):
                ctx.add(
                    "missing",
                    "membership",
                    member,
                    f"role {show(role)}",
                    "INHERIT",
                    None,
                    f"{show(member)} is a member of {show(role)} WITH INHERIT FALSE: "
                    "it does not get the role's privileges",
                    [_fix("GRANT {} TO {} WITH INHERIT TRUE;", ident(role), ident(member))],
                )
            if with_admin:
                ctx.add(
                    "extra",
                    "membership",
                    member,
                    f"role {show(role)}",
                    f"ADMIN OPTION FOR {show(role)}",
                    None,
                    f"{show(member)} is a member of {show(role)} WITH ADMIN OPTION: it can "
                    f"grant {show(role)} to any role (the model declares the membership "
                    "without it)",
                    [_fix("REVOKE ADMIN OPTION FOR {} FROM {};", ident(role), ident(member))],
                )
            continue
        if member in ctx.builtins or role in ctx.synced.get(member, ()):
            continue
        revoke = _fix("REVOKE {} FROM {};", ident(role), ident(member))
        privilege = f"MEMBER OF {show(role)}" + (" WITH ADMIN OPTION" if with_admin else "")
        option = (
            f" WITH ADMIN OPTION: it can also grant {show(role)} to any role" if with_admin else ""
        )
        if role in ctx.privileged:
            ctx.add(
                "dangerous",
                "membership",
                member,
                f"role {show(role)}",
                privilege,
                None,
                f"{show(member)} is a member of privileged role {show(role)}{option}",
                [revoke],
            )
        elif role in ctx.model_roles or member in ctx.model_roles:
            gains = " and gains its privileges" if role in ctx.model_roles else ""
            ctx.add(
                "dangerous" if with_admin and role in ctx.model_roles else "extra",
                "membership",
                member,
                f"role {show(role)}",
                privilege,
                None,
                f"{show(member)} is a member of {show(role)}, which the model does not "
                f"declare{gains}{option}",
                [revoke],
            )
