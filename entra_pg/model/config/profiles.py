"""Reader of `profiles`: custom access profiles by name (read, write and ddl are built in)."""

from __future__ import annotations

import re
from typing import cast

from ..identifiers import reserved_role_problem
from ..profiles import ALLOWED_PRIVILEGES, BUILTIN_PROFILES, ObjectType, Profile
from .kinds import Choice, ListOf, MapOf
from .reader import Reader, describe
from .spec import PRIVILEGES, PROFILE, PROFILE_NAME, STACK

__all__ = ["read_profiles"]


def _profile(r: Reader, path: str, name: str, raw: object) -> Profile | None:
    m = r.section(path, raw, PROFILE)
    if m is None:
        return None
    privs_raw = r.section(f"{path}.privileges", m.get("privileges") or {}, PRIVILEGES)
    privileges: dict[ObjectType, tuple[str, ...]] = {}
    for object_type, values in (privs_raw or {}).items():
        ot = cast(ObjectType, object_type)
        spec = PRIVILEGES[ot].type
        if not isinstance(spec, ListOf) or not isinstance(spec.item, Choice):
            raise TypeError(f"privileges.{ot} is declared as a list of choices")
        allowed = ALLOWED_PRIVILEGES[ot]
        chosen: set[str] = set()
        for i, value in enumerate(r.sequence(f"{path}.privileges.{ot}", values, spec.max_items)):
            priv = value.upper() if isinstance(value, str) else None
            if priv is None or priv not in allowed:
                got = repr(value) if isinstance(value, str) else describe(value)
                r.issue(
                    f"{path}.privileges.{ot}[{i}]",
                    f"{got} is not a privilege a profile may hold on a {ot}",
                    f"use some of: {', '.join(allowed)} (ALL and grant options are never allowed)",
                )
                continue
            chosen.add(priv)
        if chosen:
            privileges[ot] = tuple(sorted(chosen))
    if not privileges:
        r.issue(f"{path}.privileges", "the profile grants nothing", "list at least one privilege")
        return None
    description = r.field(path, m, PROFILE["description"])
    return Profile(
        name=name,
        description=description or f"Custom profile {name}.",
        privileges=privileges,
        future_objects=r.field(path, m, PROFILE["futureObjects"]),
    )


def read_profiles(r: Reader, path: str, raw: object) -> dict[str, Profile]:
    """The built-in profiles and the custom ones."""
    profiles: dict[str, Profile] = dict(BUILTIN_PROFILES)
    spec = STACK["profiles"].type
    if not isinstance(spec, MapOf):
        raise TypeError("profiles is declared as a mapping")
    for name, body in r.names(path, raw, spec).items():
        p = f"{path}.{name}"
        if name in BUILTIN_PROFILES:
            r.issue(p, f"{name!r} is a built-in profile", "give the custom profile another name")
            continue
        if not re.fullmatch(PROFILE_NAME, name, re.ASCII):
            r.issue(
                p,
                f"profile name {name!r} is not allowed",
                "use up to 20 lower-case letters, digits and underscores, starting with a letter",
            )
            continue
        if problem := reserved_role_problem(name):
            r.issue(p, f"profile name {name!r} {problem}", "choose another profile name")
            continue
        profile = _profile(r, p, name, body)
        if profile is not None:
            profiles[name] = profile
    return profiles
