"""azuread-federated-credential-scoped-subject: the subject names one environment or branch.

`repo:ORG/REPO:environment:ENV` (GitHub environments can require reviewers) or
`repo:ORG/REPO:ref:refs/heads/BRANCH`. Anything broader, such as `pull_request` (any fork's
pull request can run), tags, or `*` (Entra has no wildcards: the literal would never match,
or a flexible expression would match too much), is a violation. A plan-only identity that
must run on pull requests is exempted in policy config with a reason; the stack rule
azuread-federated-credential-no-pr-for-admins still blocks that for admin identities. Judges
application and user-assigned managed identity credentials (any API version); the flexible
credential's expression is judged by azuread-federated-credential-scoped-claims-expression.
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import FEDERATED_CREDENTIAL_TYPES

NAME = "azuread-federated-credential-scoped-subject"

_REPO: Final = r"repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
SCOPED_SUBJECT: Final = re.compile(rf"{_REPO}:(?:environment:[^*:\s][^*:]*|ref:refs/heads/[^*\s]+)")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports subjects not scoped to one environment or one branch, and any `*`."""
    subject = as_str(get(args.props, "subject"))
    if subject is None or "*" in subject or SCOPED_SUBJECT.fullmatch(subject) is None:
        report_violation(
            f"Federated credential '{args.name}' has subject {subject!r}. Use "
            "'repo:ORG/REPO:environment:ENV' (preferred: environments can require approval) "
            "or 'repo:ORG/REPO:ref:refs/heads/BRANCH', without wildcards.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "Federated identity credential subjects must name one GitHub environment or branch."
    ),
    resource_types=FEDERATED_CREDENTIAL_TYPES,
    validate=validate,
    severity=Severity.HIGH,
    tags=["entra", "workload-identity", "ci"],
    remediation_steps=(
        "Set subject='repo:ORG/REPO:environment:ENV' (or ':ref:refs/heads/BRANCH'). For a "
        "plan-only identity that must run on pull requests, exempt it under this rule with a "
        "reason."
    ),
    url="https://docs.github.com/actions/reference/security/oidc",
)
