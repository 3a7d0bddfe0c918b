"""Building rules: the SDK policy objects around each rule's small validator.

A rule module writes a pure validator `(args, report_violation) -> None` that only looks at
properties and reports what is wrong; `resource_rule` / `stack_rule` add what every rule
shares, so no rule repeats it:
- the type filter (a resource rule sees only its resource types, under any API-version token:
  `entra_pg.policies._tokens.canonical_type`);
- exemptions from the rule's own policy config (`policies._exemptions`), checked when a
  violation is reported, so a compliant resource never needs its role name resolved;
- the "how to exempt" sentence at the end of every message;
- metadata the engine shows (`GetAnalyzerInfo`): severity, tags, remediation steps, URL and
  the shared config schema.

`UnknownValueError` is never caught here: the SDK reports it as an advisory "can't run policy
during preview" diagnostic for that rule and resource.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._exemptions import (
    config_schema,
    exemption_hint,
    find_exemption,
    parse_exemptions,
    role_subject,
)
from ._tokens import canonical_type

Validator = Callable[[ResourceValidationArgs, ReportViolation], None]
"""A resource rule's check: reads `args.props`, calls `report_violation(message, None)`."""

StackValidator = Callable[[StackValidationArgs, ReportViolation], None]
"""A stack rule's check: calls `report_violation(message, urn_of_the_offending_resource)`."""

Remediator = Callable[[ResourceValidationArgs], Mapping[str, Any] | None]
"""Returns the resource's fixed properties, or None when there is nothing to fix."""


def resource_rule(
    *,
    name: str,
    description: str,
    resource_types: Collection[str],
    validate: Validator,
    severity: Severity,
    tags: Sequence[str],
    remediation_steps: str,
    url: str,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    remediate: Remediator | None = None,
) -> ResourceValidationPolicy:
    """A `ResourceValidationPolicy` running `validate` on resources of `resource_types`.

    With `remediate`, the rule can be set to enforcement level `remediate` in the policy config;
    the engine then calls it before validation and uses the properties it returns. Exempted
    resources are neither reported nor remediated.
    """
    types = frozenset(resource_types)

    def checked(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        # Parse first, for every resource: a malformed exemption must stop the run even when
        # nothing would have matched it.
        exemptions = parse_exemptions(name, args.get_config())
        if canonical_type(args.resource_type) not in types:
            return

        def report(message: str, urn: str | None = None) -> None:
            exempt = find_exemption(
                exemptions, args.name, lambda: role_subject(args.resource_type, args.props)
            )
            if exempt is None:
                report_violation(f"{message}\n{exemption_hint(name, args.name)}", urn)

        validate(args, report)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=checked,
        # The SDK's annotation only admits awaitables, but its Remediate handler accepts a plain
        # mapping as well (pulumi_policy.policy: `elif result is not None: new_props = result`).
        remediate=cast(Any, None if remediate is None else _remediation(name, types, remediate)),
        enforcement_level=enforcement_level,
        config_schema=config_schema(),
        severity=severity,
        tags=list(tags),
        remediation_steps=remediation_steps,
        url=url,
    )


def _remediation(name: str, types: frozenset[str], remediate: Remediator) -> Remediator:
    """`remediate` limited to `types` and skipping exempted resources."""

    def fix(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        exemptions = parse_exemptions(name, args.get_config())
        if canonical_type(args.resource_type) not in types:
            return None
        exempt = find_exemption(
            exemptions, args.name, lambda: role_subject(args.resource_type, args.props)
        )
        return None if exempt is not None else remediate(args)

    return fix


def stack_rule(
    *,
    name: str,
    description: str,
    validate: StackValidator,
    severity: Severity,
    tags: Sequence[str],
    remediation_steps: str,
    url: str,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """A `StackValidationPolicy` running `validate` once over all resources of the stack.

    Violations must name the offending resource's URN; exemptions are matched against that
    resource's logical name and role name.
    """

    def checked(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        exemptions = parse_exemptions(name, args.get_config())
        by_urn: dict[str, PolicyResource] = {r.urn: r for r in args.resources}

        def report(message: str, urn: str | None = None) -> None:
            resource = by_urn.get(urn) if urn else None
            if resource is None:
                report_violation(message, urn)
                return
            exempt = find_exemption(
                exemptions,
                resource.name,
                lambda: role_subject(resource.resource_type, resource.props),
            )
            if exempt is None:
                report_violation(f"{message}\n{exemption_hint(name, resource.name)}", urn)

        validate(args, report)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=checked,
        enforcement_level=enforcement_level,
        config_schema=config_schema(),
        severity=severity,
        tags=list(tags),
        remediation_steps=remediation_steps,
        url=url,
    )


def set_property(props: Mapping[str, Any], key: str, value: Any) -> Mapping[str, Any]:
    """`props` with `key` set to `value`, for a remediation's return value.

    Writes through the SDK's proxy (`Remediate` hands over a secret-preserving proxy whose
    `__setitem__` keeps secrets secret), so every other property, secrets included, goes back
    to the engine unchanged.
    """
    if not isinstance(props, MutableMapping) and not hasattr(props, "__setitem__"):
        raise TypeError(
            f"cannot remediate: properties of type {type(props).__name__} are read-only"
        )
    writable: Any = props
    writable[key] = value
    return props


def describe(args: ResourceValidationArgs | PolicyResource, what: str, subject: str | None) -> str:
    """`Role 'app_rw' (resource 'pg-role-app-rw')`: how messages name the offending resource."""
    if subject is not None and subject != args.name:
        return f"{what} '{subject}' (resource '{args.name}')"
    return f"{what} '{args.name}'"
