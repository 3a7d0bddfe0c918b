"""Exemptions: resources a rule lets through because the policy config says why.

Shape (the same for every rule, under that rule's key in the policy config file):

    {
      "postgresql-role-no-elevated-attributes": {
        "exemptions": [
          {"resource": "migrator*", "reason": "schema migrations create roles (ticket OPS-12)"}
        ]
      }
    }

- `resource` is an `fnmatch` glob (case-sensitive) matched against the resource's logical
  name and, for PostgreSQL resources, the role it is about (`Role.name`; the grantee `role` of
  Grant, GrantRole and DefaultPrivileges; the `objectName` of a role's SecurityLabel).
- `reason` is mandatory and must not be blank. Pulumi policy config is per policy (each rule
  sees only its own object), so "shared" means one schema and one matcher for every rule, not
  one list: an exemption names the rule it relaxes by where it is written.
- An exemption without a reason is an error, never a silent no-op: the config schema marks it
  required, so `pulumi preview --policy-pack-config` refuses the file before any resource is
  judged, and `parse_exemptions` raises `RuleConfigError` if such a config reaches the pack
  anyway (the RPC then fails with that message: the deployment stops, loudly). The same goes
  for unknown keys in a rule's config (`exemption` for `exemptions` must not be ignored).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

from pulumi_policy import PolicyConfigSchema

from ._props import as_str, get
from ._tokens import (
    PG_DEFAULT_PRIVILEGES,
    PG_GRANT,
    PG_GRANT_ROLE,
    PG_ROLE,
    PG_SECURITY_LABEL,
)

EXEMPTIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "description": (
        "Resources this rule lets through. Each entry: `resource`, an fnmatch glob matched "
        "against the logical resource name or the PostgreSQL role name, and `reason`, why the "
        "exemption is acceptable (required, shown in reviews)."
    ),
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1, "pattern": "\\S"},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}

REASON_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "description": (
        "Why this rule's configuration departs from the pack's defaults (for example why it "
        "is advisory for this stack). Informational; shown to reviewers of the config file."
    ),
}


def config_schema() -> PolicyConfigSchema:
    """The config schema every rule declares (`enforcementLevel` is added by the engine)."""
    return PolicyConfigSchema(
        properties={"exemptions": dict(EXEMPTIONS_SCHEMA), "reason": dict(REASON_SCHEMA)}
    )


class RuleConfigError(ValueError):
    """A rule's config is malformed: an unknown key, or an exemption that is not a list entry
    with a `resource` and a non-blank `reason`."""


CONFIG_KEYS: Final = frozenset({"exemptions", "reason"})


@dataclass(frozen=True)
class Exemption:
    """One accepted exception to a rule."""

    resource: str
    reason: str

    def matches(self, name: str) -> bool:
        """Whether `name` (a logical name or a role name) matches the glob."""
        return fnmatchcase(name, self.resource)


def parse_exemptions(policy_name: str, config: Mapping[str, Any]) -> tuple[Exemption, ...]:
    """The exemptions in one rule's config; () when there are none.

    Raises `RuleConfigError`, naming the rule, the entry and the fix, when the config has a key
    other than `exemptions`/`reason` (a typo must not silently drop an exemption list) or an
    entry is malformed or has no reason.
    """
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise RuleConfigError(
            f"policy config for {policy_name} has unknown key(s) {unknown}: a rule takes "
            f"`enforcementLevel`, {' and '.join(f'`{k}`' for k in sorted(CONFIG_KEYS))}"
        )
    raw = config.get("exemptions")
    if raw is None:
        return ()
    where = f"policy config for {policy_name}: exemptions"
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise RuleConfigError(
            f'{where} must be a list of {{"resource": <glob>, "reason": <why>}} objects, '
            f"got {json.dumps(raw, default=str)}"
        )
    result: list[Exemption] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise RuleConfigError(
                f"{where}[{index}] must be an object with `resource` and `reason`, "
                f"got {json.dumps(entry, default=str)}"
            )
        resource = entry.get("resource")
        reason = entry.get("reason")
        if not isinstance(resource, str) or not resource.strip():
            raise RuleConfigError(
                f"{where}[{index}] has no `resource`: give the logical resource name or role "
                "name (an fnmatch glob) it exempts"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise RuleConfigError(
                f"{where}[{index}] (resource {resource!r}) has no reason: every exemption "
                'must say why it is acceptable; add "reason": "<why>" or remove the entry'
            )
        unexpected = sorted(set(entry) - {"resource", "reason"})
        if unexpected:
            raise RuleConfigError(
                f"{where}[{index}] (resource {resource!r}) has unknown keys {unexpected}: "
                "only `resource` and `reason` are allowed"
            )
        result.append(Exemption(resource=resource, reason=reason))
    return tuple(result)


def role_subject(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """The PostgreSQL role a resource is about, for exemption matching; None if not a role.

    Raises `UnknownValueError` when that name is unknown.
    """
    if resource_type == PG_ROLE:
        return as_str(get(props, "name"))
    if resource_type in (PG_GRANT, PG_GRANT_ROLE, PG_DEFAULT_PRIVILEGES):
        return as_str(get(props, "role"))
    if resource_type == PG_SECURITY_LABEL:
        object_type = as_str(get(props, "objectType"))
        if object_type is not None and object_type.strip().lower() == "role":
            return as_str(get(props, "objectName"))
    return None


def find_exemption(
    exemptions: Iterable[Exemption],
    logical_name: str,
    role_name: Callable[[], str | None],
) -> Exemption | None:
    """The first exemption matching the logical name, else the role name; None if none.

    `role_name` is called only when no exemption matches the logical name, so an unknown role
    name matters only when it could change the answer.
    """
    candidates = tuple(exemptions)
    if not candidates:
        return None
    for exemption in candidates:
        if exemption.matches(logical_name):
            return exemption
    role = role_name()
    if role is None:
        return None
    for exemption in candidates:
        if exemption.matches(role):
            return exemption
    return None


def exemption_hint(policy_name: str, logical_name: str) -> str:
    """The sentence every violation ends with: how to exempt this resource, with a reason."""
    entry = json.dumps({"resource": logical_name, "reason": "<why this is acceptable>"})
    return (
        f"To accept this deliberately, add {entry} to `exemptions` under "
        f'"{policy_name}" in the policy config.'
    )
