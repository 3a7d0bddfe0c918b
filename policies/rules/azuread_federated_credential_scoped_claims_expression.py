"""azuread-federated-credential-scoped-claims-expression: a flexible credential admits one
repository and one environment or branch.

`ApplicationFlexibleFederatedIdentityCredential` matches tokens with a claims-matching
expression instead of a literal subject (Microsoft Graph `federatedIdentityExpression`,
language version 1: clauses `claims['<claim>'] eq '<value>'` or `claims['<claim>'] matches
'<pattern>'` with `*` and `?` wildcards, joined by `and`). Its wildcards are exactly what the
literal subject rule exists to prevent: `claims['sub'] matches 'repo:contoso/*'` admits every
repository of the organisation, `...:ref:refs/heads/*` every branch, `...:environment:*`
every environment.

Compliant: the whole expression parses as `and`-joined clauses, and one clause pins `sub` to
a scoped subject without wildcards (`repo:ORG/REPO:environment:ENV` or
`repo:ORG/REPO:ref:refs/heads/BRANCH`, as azuread-federated-credential-scoped-subject
accepts), whatever else the other clauses narrow. Anything the rule cannot parse is reported:
it could not show that the expression is narrow.
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AAD_FLEXIBLE_FEDERATED_CREDENTIAL
from .azuread_federated_credential_scoped_subject import SCOPED_SUBJECT

NAME = "azuread-federated-credential-scoped-claims-expression"

_CLAUSE: Final = re.compile(
    r"\s*claims\[\s*'(?P<claim>[^'\]]+)'\s*\]\s+(?P<op>eq|matches)\s+'(?P<value>[^']*)'\s*"
)
_AND: Final = re.compile(r"and(?=\s)")
WILDCARDS: Final = frozenset("*?")


def clauses(expression: str) -> list[tuple[str, str, str]] | None:
    """`[(claim, operator, value), ...]`, or None when the text is not `and`-joined clauses."""
    result: list[tuple[str, str, str]] = []
    position = 0
    while True:
        match = _CLAUSE.match(expression, position)
        if match is None:
            return None
        result.append((match["claim"], match["op"], match["value"]))
        position = match.end()
        if position == len(expression):
            return result
        joiner = _AND.match(expression, position)
        if joiner is None:
            return None
        position = joiner.end()


def pins_subject(expression: str) -> bool:
    """Whether the expression parses and one clause pins `sub` to a scoped subject."""
    parsed = clauses(expression)
    if parsed is None:
        return False
    return any(
        claim == "sub"
        and not (WILDCARDS & set(value))
        and SCOPED_SUBJECT.fullmatch(value) is not None
        for claim, _op, value in parsed
    )


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports expressions that admit more than one repository and environment or branch."""
    expression = as_str(get(args.props, "claimsMatchingExpression"))
    if expression is None or not pins_subject(expression):
        report_violation(
            f"Flexible federated credential '{args.name}' has claims-matching expression "
            f"{expression!r}, which does not pin one repository and one environment or "
            "branch. Include \"claims['sub'] eq 'repo:ORG/REPO:environment:ENV'\" (clauses "
            "joined by 'and' may narrow it further), or use a plain federated credential.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "Flexible federated credentials must pin claims['sub'] to one repository and one "
        "environment or branch, without wildcards."
    ),
    resource_types=(AAD_FLEXIBLE_FEDERATED_CREDENTIAL,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["entra", "workload-identity", "ci"],
    remediation_steps=(
        "Set claims_matching_expression=\"claims['sub'] eq 'repo:ORG/REPO:environment:ENV'\" "
        "(add \"and claims['job_workflow_ref'] eq '...'\" to pin the workflow too), or replace "
        "it with an ApplicationFederatedIdentityCredential with that subject."
    ),
    url=(
        "https://learn.microsoft.com/entra/workload-id/"
        "workload-identities-flexible-federated-identity-credentials"
    ),
)
